using System.Runtime.InteropServices;
using RawGan.Backends.Cuda.Interop;

namespace RawGan.Backends.Cuda.Kernels;

/// <summary>
/// Launchers of kernels/batch_norm_leaky_relu.cu: training-mode batch norm and leaky relu in one
/// op, three launches each way (partial sums per channel and range of images; per-channel
/// constants; the elementwise pass). The partial sums and dx's coefficients live in scratch blocks
/// from the allocator, returned in stream order.
/// </summary>
public static class BatchNormLeakyReluKernels
{
    public static readonly KernelRef Stats = new("batch_norm_leaky_relu.cu", "bn_lrelu_stats_f32");
    public static readonly KernelRef Finalize = new("batch_norm_leaky_relu.cu", "bn_lrelu_finalize_f32");
    public static readonly KernelRef Apply = new("batch_norm_leaky_relu.cu", "bn_lrelu_apply_f32");
    public static readonly KernelRef GradSums = new("batch_norm_leaky_relu.cu", "bn_lrelu_grad_sums_f32");
    public static readonly KernelRef GradFinalize = new("batch_norm_leaky_relu.cu", "bn_lrelu_grad_finalize_f32");
    public static readonly KernelRef GradInput = new("batch_norm_leaky_relu.cu", "bn_lrelu_grad_input_f32");

    /// <summary>The kernels' BnChannels: per-channel saved mean, 1/std, gamma and beta.</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal readonly record struct Channels(CUdeviceptr Mean, CUdeviceptr InvStd, CUdeviceptr Gamma, CUdeviceptr Beta);

    internal static void LaunchForward(KernelLibrary lib, CudaAllocator allocator, ChannelSplits g, CUdeviceptr y, CUdeviceptr x,
        Channels channels, CUdeviceptr runningMean, CUdeviceptr runningVar, double momentum, double eps, float slope)
    {
        var block = new Dim3(KernelLibrary.BlockSize);
        var partial = allocator.Allocate(2L * g.C * g.Splits * sizeof(double), lib.Stream);
        try
        {
            lib.Launch(Stats, g.Blocks, block, partial.Pointer, x, g);
            lib.Launch(Finalize, lib.GridFor(g.C), block, channels.Mean, channels.InvStd, runningMean, runningVar, partial.Pointer, x, g, momentum, eps);
        }
        finally
        {
            allocator.Free(partial);
        }
        lib.Launch(Apply, lib.GridForVectorized(g.Elements), block, y, x, channels, slope, g);
    }

    internal static void LaunchBackward(KernelLibrary lib, CudaAllocator allocator, ChannelSplits g, CUdeviceptr dx, CUdeviceptr dGamma, CUdeviceptr dBeta,
        CUdeviceptr dy, CUdeviceptr x, Channels channels, float slope)
    {
        var block = new Dim3(KernelLibrary.BlockSize);
        var partial = allocator.Allocate(2L * g.C * g.Splits * sizeof(double), lib.Stream);
        var coef = allocator.Allocate(3L * g.C * sizeof(float), lib.Stream);
        try
        {
            lib.Launch(GradSums, g.Blocks, block, partial.Pointer, dy, x, channels, slope, g);
            lib.Launch(GradFinalize, lib.GridFor(g.C), block, dGamma, dBeta, coef.Pointer, partial.Pointer, channels, g);
            lib.Launch(GradInput, lib.GridForVectorized(g.Elements), block, dx, dy, x, coef.Pointer, channels, slope, g);
        }
        finally
        {
            // Stream order makes an immediate return safe: later users of the blocks queue behind.
            allocator.Free(partial);
            allocator.Free(coef);
        }
    }
}
