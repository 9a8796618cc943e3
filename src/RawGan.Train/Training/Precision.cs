using RawGan.Backends.Cuda;

namespace RawGan.Training;

/// <summary>
/// --precision of `rawgan train` and `rawgan bench train`: auto, fp32 or tf32. TF32 lets cuBLAS and
/// cuDNN round fp32 inputs of products to 10-bit mantissas on tensor cores, several times faster and,
/// for GAN training, as good (PyTorch's allow_tf32). auto is TF32 on CUDA and strict fp32 on the CPU,
/// which has no TF32; the library default (<see cref="CudaBackend.AllowTf32"/>) stays strict.
/// </summary>
public static class Precision
{
    public const string Auto = "auto", Fp32 = "fp32", Tf32 = "tf32";

    public static readonly string[] Choices = [Auto, Fp32, Tf32];

    /// <summary>fp32 or tf32 for this device; tf32 asked for on the CPU is an error.</summary>
    public static string Resolve(string choice, Device device) => choice switch
    {
        Auto => device == Device.Cuda ? Tf32 : Fp32,
        Fp32 => Fp32,
        Tf32 when device == Device.Cuda => Tf32,
        Tf32 => throw new ArgumentException($"--precision tf32 needs the CUDA backend (TF32 is a tensor-core mode of cuBLAS and cuDNN), but this run is on the {device}; " +
                                            "use --precision fp32 or auto on the CPU"),
        _ => throw new ArgumentException($"--precision {choice}: expected {string.Join(", ", Choices)}"),
    };

    /// <summary>Runs work with the CUDA backend's TF32 switch set for a resolved precision, and puts
    /// the switch back afterwards.</summary>
    public static T Run<T>(string resolved, Device device, Func<T> work)
    {
        if (device != Device.Cuda) return work();
        bool before = CudaBackend.AllowTf32;
        CudaBackend.AllowTf32 = resolved == Tf32;
        try { return work(); }
        finally { CudaBackend.AllowTf32 = before; }
    }
}
