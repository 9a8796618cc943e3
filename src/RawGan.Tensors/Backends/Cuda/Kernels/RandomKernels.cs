using RawGan.Backends.Cuda.Interop;

namespace RawGan.Backends.Cuda.Kernels;

/// <summary>Launchers of kernels/random.cu: Philox 4x32-10 draws, one thread per 4 elements. offsetBase is
/// the null pointer, or the device copy of the generator's offset that offset is relative to.</summary>
public static class RandomKernels
{
    public static readonly KernelRef Uniform = new("random.cu", "random_uniform_f32");
    public static readonly KernelRef Normal = new("random.cu", "random_normal_f32");
    public static readonly KernelRef DropoutMask = new("random.cu", "dropout_mask_f32");

    public static void LaunchUniform(KernelLibrary lib, CUdeviceptr y, ulong seed, CUdeviceptr offsetBase, ulong offset, double low, double high, int n) =>
        lib.Launch(Uniform, lib.GridForVectorized(n), new Dim3(KernelLibrary.BlockSize), y, seed, offsetBase, offset, low, high, n);

    public static void LaunchNormal(KernelLibrary lib, CUdeviceptr y, ulong seed, CUdeviceptr offsetBase, ulong offset, double mean, double std, int n) =>
        lib.Launch(Normal, lib.GridForVectorized(n), new Dim3(KernelLibrary.BlockSize), y, seed, offsetBase, offset, mean, std, n);

    /// <summary>keep = 1 / (1 - p) computed in double and rounded once, as the CPU does.</summary>
    public static void LaunchDropoutMask(KernelLibrary lib, CUdeviceptr mask, ulong seed, CUdeviceptr offsetBase, ulong offset, double p, int n) =>
        lib.Launch(DropoutMask, lib.GridForVectorized(n), new Dim3(KernelLibrary.BlockSize), mask, seed, offsetBase, offset, p, (float)(1 / (1 - p)), n);
}
