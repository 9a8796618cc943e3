using System.Runtime.InteropServices;
using RawGan.Backends.Cuda.Interop;

namespace RawGan.Backends.Cuda.Kernels;

/// <summary>Launchers of kernels/bias_activation.cu: a convolution's bias add and the activation
/// after it in one pass; the backward writes dx and the bias gradient's partial sums together.</summary>
public static class BiasActivationKernels
{
    public static readonly KernelRef Forward = new("bias_activation.cu", "bias_act_forward_f32");
    public static readonly KernelRef Backward = new("bias_activation.cu", "bias_act_backward_f32");
    public static readonly KernelRef BiasGrad = new("bias_activation.cu", "bias_act_bias_grad_f32");

    /// <summary>The kernels' Activation: which one, and its slope or alpha.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal readonly record struct Activation(FusedActivation Kind, float Parameter);

    internal static void LaunchForward(KernelLibrary lib, ChannelSplits g, CUdeviceptr y, CUdeviceptr x, CUdeviceptr bias, Activation act) =>
        lib.Launch(Forward, lib.GridForVectorized(g.Elements), new Dim3(KernelLibrary.BlockSize), y, x, bias, act, g);

    internal static void LaunchBackward(KernelLibrary lib, CudaAllocator allocator, ChannelSplits g, CUdeviceptr dx, CUdeviceptr dBias,
        CUdeviceptr dy, CUdeviceptr x, CUdeviceptr bias, Activation act)
    {
        var block = new Dim3(KernelLibrary.BlockSize);
        var partial = allocator.Allocate(2L * g.C * g.Splits * sizeof(double), lib.Stream);
        try
        {
            lib.Launch(Backward, g.Blocks, block, dx, partial.Pointer, dy, x, bias, act, g);
            lib.Launch(BiasGrad, lib.GridFor(g.C), block, dBias, partial.Pointer, g);
        }
        finally
        {
            // Stream order makes an immediate return safe: later users of the block queue behind.
            allocator.Free(partial);
        }
    }
}
