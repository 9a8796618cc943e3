using RawGan.Backends.Cuda.Interop;

namespace RawGan.Backends.Cuda.Kernels;

/// <summary>Launchers of kernels/adam.cu, sgd.cu and rmsprop.cu: one fused, in-place update per
/// parameter tensor. Hyper-parameters are rounded to float as the CPU reference rounds them.</summary>
public static class OptimizerKernels
{
    public static readonly KernelRef Adam = new("adam.cu", "adam_step_f32");
    public static readonly KernelRef Sgd = new("sgd.cu", "sgd_step_f32");
    public static readonly KernelRef RmsProp = new("rmsprop.cu", "rmsprop_step_f32");

    /// <summary>Adam's bias corrections for this step are computed here in double, as the CPU does.</summary>
    public static void LaunchAdam(KernelLibrary lib, CUdeviceptr param, CUdeviceptr grad, CUdeviceptr m, CUdeviceptr v,
        double lr, double beta1, double beta2, double eps, double weightDecay, int step, int n)
    {
        float stepSize = (float)(lr / (1 - Math.Pow(beta1, step)));
        float correction2 = (float)Math.Sqrt(1 - Math.Pow(beta2, step));
        lib.Launch(Adam, lib.GridForVectorized(n), new Dim3(KernelLibrary.BlockSize), param, grad, m, v,
            (float)beta1, (float)beta2, stepSize, correction2, (float)eps, (float)weightDecay, n);
    }

    /// <summary>momentumBuffer is the null pointer for plain SGD.</summary>
    public static void LaunchSgd(KernelLibrary lib, CUdeviceptr param, CUdeviceptr grad, CUdeviceptr momentumBuffer,
        double lr, double momentum, double weightDecay, bool firstStep, int n) =>
        lib.Launch(Sgd, lib.GridFor(n), new Dim3(KernelLibrary.BlockSize), param, grad, momentumBuffer,
            (float)lr, (float)momentum, (float)weightDecay, firstStep ? 1 : 0, n);

    public static void LaunchRmsProp(KernelLibrary lib, CUdeviceptr param, CUdeviceptr grad, CUdeviceptr squareAvg,
        double lr, double alpha, double eps, double weightDecay, int n) =>
        lib.Launch(RmsProp, lib.GridFor(n), new Dim3(KernelLibrary.BlockSize), param, grad, squareAvg,
            (float)lr, (float)alpha, (float)eps, (float)weightDecay, n);
}
