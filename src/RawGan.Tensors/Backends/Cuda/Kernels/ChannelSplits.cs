using System.Runtime.InteropServices;

namespace RawGan.Backends.Cuda.Kernels;

/// <summary>
/// kernels/channel_sums.cuh's ChannelSplits: an NCHW tensor's per-channel reductions run one block per
/// (channel, range of images), so that channels x ranges blocks fill the GPU (a DCGAN layer has 64 to
/// 512 channels for ~130 multiprocessors; BEGAN's 64 to 192).
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal readonly record struct ChannelSplits(int N, int C, int HW, int Splits)
{
    /// <summary>Below this many elements a block's share of a channel costs more to launch than it saves.</summary>
    private const int MinBlockElements = 4096;

    /// <summary>At least one range, also for an empty tensor (whose kernels are then not launched).</summary>
    public static ChannelSplits Plan(KernelLibrary lib, int n, int c, int hw)
    {
        long wanted = lib.Multiprocessors * 4L;
        long bySize = Math.Max(1, (long)n * hw / MinBlockElements);
        int splits = (int)Math.Clamp(Math.Min((wanted + c - 1) / Math.Max(c, 1), bySize), 1, Math.Max(n, 1));
        return new ChannelSplits(n, c, hw, splits);
    }

    public long Elements => (long)N * C * HW;

    /// <summary>The grid of the per-(channel, range) kernels.</summary>
    public Dim3 Blocks => new((uint)(C * Splits));
}
