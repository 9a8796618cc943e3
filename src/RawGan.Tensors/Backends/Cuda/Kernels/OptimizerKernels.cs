using System.Runtime.InteropServices;
using RawGan.Backends.Cuda.Interop;

namespace RawGan.Backends.Cuda.Kernels;

/// <summary>The C# twin of <c>AdamParams</c> in kernels/adam.cu.</summary>
[StructLayout(LayoutKind.Sequential)]
public readonly record struct AdamParams(float B1, float B2, float StepSize, float Correction2, float Eps, float Wd);

/// <summary>Launchers of kernels/adam.cu, sgd.cu and rmsprop.cu: fused, in-place updates of a list of
/// parameter tensors, one launch per <see cref="TensorList.Capacity"/> tensors and a block per 4096
/// elements (kernels/multi_tensor.cuh). Hyper-parameters are rounded to float as the CPU reference
/// rounds them; hyper, when set, is a captured step's cell that replaces the ones that change.</summary>
public static class OptimizerKernels
{
    public static readonly KernelRef Adam = new("adam.cu", "adam_step_f32");
    public static readonly KernelRef AdamV1 = new("adam.cu", "adam_step_v1_f32");
    public static readonly KernelRef Sgd = new("sgd.cu", "sgd_step_f32");
    public static readonly KernelRef RmsProp = new("rmsprop.cu", "rmsprop_step_f32");

    /// <summary>Adam's bias corrections for this step (<see cref="AdamCorrections"/>, rounded to float
    /// once) go in as arguments, or, when hyper is set, the kernel reads them from there. Each tensor's
    /// State0 and State1 are exp_avg and exp_avg_sq.</summary>
    public static void LaunchAdam(KernelLibrary lib, IReadOnlyList<TensorArrays> tensors, CUdeviceptr hyper,
        double lr, double beta1, double beta2, double eps, double weightDecay, int step)
    {
        var (stepSize, correction2) = AdamCorrections.For(lr, beta1, beta2, step);
        var h = new AdamParams((float)beta1, (float)beta2, (float)stepSize, (float)correction2, (float)eps, (float)weightDecay);
        foreach (var (list, blocks) in TensorList.Launches(tensors))
            lib.Launch(Adam, new Dim3(blocks), new Dim3(KernelLibrary.BlockSize), list, hyper, h);
    }

    /// <summary>The superseded per-tensor kernel, one launch per tensor (KernelBench's baseline).</summary>
    public static void LaunchAdamV1(KernelLibrary lib, CUdeviceptr param, CUdeviceptr grad, CUdeviceptr m, CUdeviceptr v,
        double lr, double beta1, double beta2, double eps, double weightDecay, int step, int n)
    {
        var (stepSize, correction2) = AdamCorrections.For(lr, beta1, beta2, step);
        lib.Launch(AdamV1, lib.GridForVectorized(n), new Dim3(KernelLibrary.BlockSize), param, grad, m, v, CUdeviceptr.Null,
            (float)beta1, (float)beta2, (float)stepSize, (float)correction2, (float)eps, (float)weightDecay, n);
    }

    /// <summary>State0 is the momentum buffer (Null for plain SGD); firstStep holds for every tensor of the call.</summary>
    public static void LaunchSgd(KernelLibrary lib, IReadOnlyList<TensorArrays> tensors, CUdeviceptr hyper,
        double lr, double momentum, double weightDecay, bool firstStep)
    {
        foreach (var (list, blocks) in TensorList.Launches(tensors))
            lib.Launch(Sgd, new Dim3(blocks), new Dim3(KernelLibrary.BlockSize), list, hyper,
                (float)lr, (float)momentum, (float)weightDecay, firstStep ? 1 : 0);
    }

    /// <summary>State0 is square_avg.</summary>
    public static void LaunchRmsProp(KernelLibrary lib, IReadOnlyList<TensorArrays> tensors, CUdeviceptr hyper,
        double lr, double alpha, double eps, double weightDecay)
    {
        foreach (var (list, blocks) in TensorList.Launches(tensors))
            lib.Launch(RmsProp, new Dim3(blocks), new Dim3(KernelLibrary.BlockSize), list, hyper,
                (float)lr, (float)alpha, (float)eps, (float)weightDecay);
    }
}
