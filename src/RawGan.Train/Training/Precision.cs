namespace RawGan.Training;

/// <summary>
/// --precision of `rawgan train` and `rawgan bench train`: auto, fp32, tf32 or bf16, the
/// <see cref="ProductPrecision"/> of convolutions and matrix products. TF32 lets cuBLAS and cuDNN
/// round fp32 inputs of products to 10-bit mantissas on tensor cores, several times faster and, for
/// GAN training, as good (PyTorch's allow_tf32). bf16 rounds them to 7-bit mantissas, twice TF32's
/// tensor-core rate, with float32 weights, gradients and optimizer state (PyTorch's bf16 autocast
/// keeps those in float32 too). auto is TF32 on CUDA and strict fp32 on the CPU, which has no
/// TF32; bf16 on the CPU is an emulation (the same roundings, slower than fp32) for checking what
/// bf16 does to training without a GPU.
/// </summary>
public static class Precision
{
    public const string Auto = "auto", Fp32 = "fp32", Tf32 = "tf32", Bf16 = "bf16";

    public static readonly string[] Choices = [Auto, Fp32, Tf32, Bf16];

    /// <summary>fp32, tf32 or bf16 for this device; tf32 asked for on the CPU is an error.</summary>
    public static string Resolve(string choice, Device device) => choice switch
    {
        Auto => device == Device.Cuda ? Tf32 : Fp32,
        Fp32 => Fp32,
        Bf16 => Bf16,
        Tf32 when device == Device.Cuda => Tf32,
        Tf32 => throw new ArgumentException($"--precision tf32 needs the CUDA backend (TF32 is a tensor-core mode of cuBLAS and cuDNN), but this run is on the {device}; " +
                                            "use --precision fp32 or auto on the CPU"),
        _ => throw new ArgumentException($"--precision {choice}: expected {string.Join(", ", Choices)}"),
    };

    /// <summary>Runs work with the products' precision set for a resolved choice, and puts it back afterwards.</summary>
    public static T Run<T>(string resolved, Func<T> work)
    {
        using var scope = Products.Use(resolved switch
        {
            Tf32 => ProductPrecision.Tf32,
            Bf16 => ProductPrecision.Bf16,
            _ => ProductPrecision.Fp32,
        });
        return work();
    }
}
