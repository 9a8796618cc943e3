using RawGan.Backends.Cuda.Interop;

namespace RawGan.Backends.Cuda.Kernels;

/// <summary>Launchers of kernels/bce.cu, bce_with_logits.cu, l1.cu and mse.cu. Forwards are
/// pointwise (loss, input, target); backwards read the upstream gradient dLoss[0] from device
/// memory and multiply by a host scale (1 / N of the mean).</summary>
public static class LossKernels
{
    public static readonly KernelRef BceForward = new("bce.cu", "bce_forward_f32");
    public static readonly KernelRef BceBackward = new("bce.cu", "bce_backward_f32");
    public static readonly KernelRef BceWithLogitsForward = new("bce_with_logits.cu", "bce_with_logits_forward_f32");
    public static readonly KernelRef BceWithLogitsBackward = new("bce_with_logits.cu", "bce_with_logits_backward_f32");
    public static readonly KernelRef L1Forward = new("l1.cu", "l1_forward_f32");
    public static readonly KernelRef L1Backward = new("l1.cu", "l1_backward_f32");
    public static readonly KernelRef MseForward = new("mse.cu", "mse_forward_f32");
    public static readonly KernelRef MseBackward = new("mse.cu", "mse_backward_f32");

    public static void LaunchBackward(KernelLibrary lib, KernelRef k, CUdeviceptr dx, CUdeviceptr dLoss, CUdeviceptr x, CUdeviceptr target, double scale, int n) =>
        lib.Launch(k, lib.GridForVectorized(n), new Dim3(KernelLibrary.BlockSize), dx, dLoss, x, target, scale, n);
}
