using RawGan.Backends.Cuda.Interop;

namespace RawGan.Backends.Cuda.Kernels;

/// <summary>Launchers of kernels/adam.cu, sgd.cu and rmsprop.cu: one fused, in-place update per
/// parameter tensor. Hyper-parameters are rounded to float as the CPU reference rounds them.</summary>
public static class OptimizerKernels
{
    public static readonly KernelRef Adam = new("adam.cu", "adam_step_f32");
    public static readonly KernelRef Sgd = new("sgd.cu", "sgd_step_f32");
    public static readonly KernelRef RmsProp = new("rmsprop.cu", "rmsprop_step_f32");

    /// <summary>Adam's bias corrections for this step (<see cref="AdamCorrections"/>, rounded to float once)
    /// go in as arguments, or, when hyper is set, the kernel reads them from there.</summary>
    public static void LaunchAdam(KernelLibrary lib, CUdeviceptr param, CUdeviceptr grad, CUdeviceptr m, CUdeviceptr v, CUdeviceptr hyper,
        double lr, double beta1, double beta2, double eps, double weightDecay, int step, int n)
    {
        var (stepSize, correction2) = AdamCorrections.For(lr, beta1, beta2, step);
        lib.Launch(Adam, lib.GridForVectorized(n), new Dim3(KernelLibrary.BlockSize), param, grad, m, v, hyper,
            (float)beta1, (float)beta2, (float)stepSize, (float)correction2, (float)eps, (float)weightDecay, n);
    }

    /// <summary>momentumBuffer is the null pointer for plain SGD; hyper, when set, holds lr.</summary>
    public static void LaunchSgd(KernelLibrary lib, CUdeviceptr param, CUdeviceptr grad, CUdeviceptr momentumBuffer, CUdeviceptr hyper,
        double lr, double momentum, double weightDecay, bool firstStep, int n) =>
        lib.Launch(Sgd, lib.GridFor(n), new Dim3(KernelLibrary.BlockSize), param, grad, momentumBuffer, hyper,
            (float)lr, (float)momentum, (float)weightDecay, firstStep ? 1 : 0, n);

    public static void LaunchRmsProp(KernelLibrary lib, CUdeviceptr param, CUdeviceptr grad, CUdeviceptr squareAvg, CUdeviceptr hyper,
        double lr, double alpha, double eps, double weightDecay, int n) =>
        lib.Launch(RmsProp, lib.GridFor(n), new Dim3(KernelLibrary.BlockSize), param, grad, squareAvg, hyper,
            (float)lr, (float)alpha, (float)eps, (float)weightDecay, n);
}
