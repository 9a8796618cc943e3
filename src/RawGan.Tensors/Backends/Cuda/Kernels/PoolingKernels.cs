using System.Runtime.InteropServices;
using RawGan.Backends.Cuda.Interop;

namespace RawGan.Backends.Cuda.Kernels;

/// <summary>The C# twin of <c>Pool2d</c> in kernels/common.cuh (all ints, same order).</summary>
[StructLayout(LayoutKind.Sequential)]
public readonly record struct Pool2dGeometry(int Planes, int H, int W, int OH, int OW, int KH, int KW, int SH, int SW, int PH, int PW)
{
    /// <summary>The geometry of pooling NCHW x into y with a window.</summary>
    public static Pool2dGeometry Of(Tensor x, Tensor y, Pool2dArgs a) =>
        new(x.Shape[0] * x.Shape[1], x.Shape[2], x.Shape[3], y.Shape[2], y.Shape[3], a.KernelH, a.KernelW, a.StrideH, a.StrideW, a.PadH, a.PadW);
}

/// <summary>Launchers of kernels/max_pool2d.cu, avg_pool2d.cu and upsample_nearest.cu: one thread per
/// output element forward and one per input element backward (gathers, no atomics), except the
/// tiled max-pool backward (one per window) and the upsampling forward (one per input element).</summary>
public static class PoolingKernels
{
    public static readonly KernelRef MaxForward = new("max_pool2d.cu", "max_pool2d_forward_f32");
    public static readonly KernelRef MaxBackward = new("max_pool2d.cu", "max_pool2d_backward_f32");
    public static readonly KernelRef MaxBackwardTiled = new("max_pool2d.cu", "max_pool2d_backward_tiled_f32");
    public static readonly KernelRef AvgForward = new("avg_pool2d.cu", "avg_pool2d_forward_f32");
    public static readonly KernelRef AvgBackward = new("avg_pool2d.cu", "avg_pool2d_backward_f32");
    public static readonly KernelRef UpsampleForward = new("upsample_nearest.cu", "upsample_nearest_forward_f32");
    public static readonly KernelRef UpsampleForwardV1 = new("upsample_nearest.cu", "upsample_nearest_forward_v1_f32");
    public static readonly KernelRef UpsampleBackward = new("upsample_nearest.cu", "upsample_nearest_backward_f32");

    public static void LaunchMaxForward(KernelLibrary lib, CUdeviceptr y, CUdeviceptr x, Pool2dGeometry g) =>
        lib.Launch(MaxForward, lib.GridFor((long)g.Planes * g.OH * g.OW), new Dim3(KernelLibrary.BlockSize), y, x, g);

    /// <summary>The tiled kernel (one thread per window) when the windows tile the input, else the
    /// gather (one thread per input element).</summary>
    public static void LaunchMaxBackward(KernelLibrary lib, CUdeviceptr dx, CUdeviceptr dy, CUdeviceptr x, Pool2dGeometry g)
    {
        if (g.KH == g.SH && g.KW == g.SW && g.PH == 0 && g.PW == 0)
        {
            long tiles = (long)g.Planes * ((g.H + g.KH - 1) / g.KH) * ((g.W + g.KW - 1) / g.KW);
            lib.Launch(MaxBackwardTiled, lib.GridFor(tiles), new Dim3(KernelLibrary.BlockSize), dx, dy, x, g);
        }
        else
        {
            LaunchMaxBackwardGather(lib, dx, dy, x, g);
        }
    }

    public static void LaunchMaxBackwardGather(KernelLibrary lib, CUdeviceptr dx, CUdeviceptr dy, CUdeviceptr x, Pool2dGeometry g) =>
        lib.Launch(MaxBackward, lib.GridFor((long)g.Planes * g.H * g.W), new Dim3(KernelLibrary.BlockSize), dx, dy, x, g);

    public static void LaunchAvgForward(KernelLibrary lib, CUdeviceptr y, CUdeviceptr x, Pool2dGeometry g) =>
        lib.Launch(AvgForward, lib.GridFor((long)g.Planes * g.OH * g.OW), new Dim3(KernelLibrary.BlockSize), y, x, g);

    public static void LaunchAvgBackward(KernelLibrary lib, CUdeviceptr dx, CUdeviceptr dy, Pool2dGeometry g) =>
        lib.Launch(AvgBackward, lib.GridFor((long)g.Planes * g.H * g.W), new Dim3(KernelLibrary.BlockSize), dx, dy, g);

    /// <summary>h and w are the input's (x's) size; the output is (h scale) x (w scale).</summary>
    public static void LaunchUpsampleForward(KernelLibrary lib, CUdeviceptr y, CUdeviceptr x, int planes, int h, int w, int scale) =>
        lib.Launch(UpsampleForward, lib.GridFor((long)planes * h * w), new Dim3(KernelLibrary.BlockSize), y, x, planes, h, w, scale);

    public static void LaunchUpsampleForwardV1(KernelLibrary lib, CUdeviceptr y, CUdeviceptr x, int planes, int h, int w, int scale) =>
        lib.Launch(UpsampleForwardV1, lib.GridFor((long)planes * h * w * scale * scale), new Dim3(KernelLibrary.BlockSize), y, x, planes, h, w, scale);

    public static void LaunchUpsampleBackward(KernelLibrary lib, CUdeviceptr dx, CUdeviceptr dy, int planes, int h, int w, int scale) =>
        lib.Launch(UpsampleBackward, lib.GridFor((long)planes * h * w), new Dim3(KernelLibrary.BlockSize), dx, dy, planes, h, w, scale);
}
