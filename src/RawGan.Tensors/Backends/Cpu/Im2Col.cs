using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace RawGan.Backends.Cpu;

/// <summary>
/// Sizes of one convolution, read from the tensors themselves: the image side [N, C, H, W], the
/// output side [N, O, Ho, Wo] and the weight [O, C/groups, kH, kW]. Ho and Wo come from the output
/// tensor rather than the formula, so a data gradient may be asked for an image whose last rows
/// no output window reaches (conv_transpose's output_padding): they get zero.
/// </summary>
internal readonly struct ConvGeometry
{
    public ConvGeometry(string op, Tensor image, Tensor output, Tensor weight, Conv2dArgs args)
    {
        N = image.Shape[0]; C = image.Shape[1]; H = image.Shape[2]; W = image.Shape[3];
        O = output.Shape[1]; Ho = output.Shape[2]; Wo = output.Shape[3];
        KH = weight.Shape[2]; KW = weight.Shape[3];
        Groups = args.Groups;
        SH = args.StrideH; SW = args.StrideW; PH = args.PadH; PW = args.PadW; DH = args.DilationH; DW = args.DilationW;
        if (output.Shape[0] != N || weight.Shape[0] != O || weight.Shape[1] * Groups != C)
            throw new ArgumentException($"{op}: image {Shape.Format(image.Shape)}, output {Shape.Format(output.Shape)} and " +
                                        $"weight {Shape.Format(weight.Shape)} do not fit together with {Groups} group(s)");
        Cg = C / Groups; Og = O / Groups;
        K = Cg * KH * KW;
        L = Ho * Wo;
    }

    public int N { get; }
    public int C { get; }
    public int H { get; }
    public int W { get; }
    public int O { get; }
    public int Ho { get; }
    public int Wo { get; }
    public int KH { get; }
    public int KW { get; }
    public int Groups { get; }
    public int SH { get; }
    public int SW { get; }
    public int PH { get; }
    public int PW { get; }
    public int DH { get; }
    public int DW { get; }

    /// <summary>Input channels per group.</summary>
    public int Cg { get; }

    /// <summary>Output channels per group.</summary>
    public int Og { get; }

    /// <summary>Rows of the column matrix: Cg * kH * kW, the GEMM's inner dimension.</summary>
    public int K { get; }

    /// <summary>Columns of the column matrix: output positions Ho * Wo.</summary>
    public int L { get; }

    /// <summary>Multiply-adds of one GEMM pass over the whole batch (to decide on threading).</summary>
    public long Work => (long)N * O * K * L;
}

/// <summary>
/// im2col and its adjoint col2im for one image of one group. The column matrix is row-major
/// [Cg * kH * kW, Ho * Wo]: row (c, i, j) holds, for every output position (oh, ow), the input
/// x[c, oh * sh - ph + i * dh, ow * sw - pw + j * dw], zero where that falls in the padding.
/// For each kernel column j the in-image output columns form one interval [lo, hi), so the inner
/// loops run without bounds tests: the spans are checked once per call and the loops index
/// with refs that stay inside them by construction of the interval.
/// </summary>
internal static class Im2Col
{
    /// <summary>Fills col [K, L] from image [Cg, H, W]; every element of col is written.</summary>
    public static void Pack<T>(ReadOnlySpan<T> image, Span<T> col, in ConvGeometry g)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int plane = g.H * g.W;
        if (image.Length < g.Cg * plane || col.Length < g.K * g.L)
            throw new ArgumentException("im2col: image or column buffer too small for the geometry");
        Span<(int Lo, int Hi)> cols = stackalloc (int, int)[g.KW];
        for (int j = 0; j < g.KW; j++) cols[j] = Interval(j * g.DW - g.PW, g.SW, g.W, g.Wo);
        ref T src0 = ref MemoryMarshal.GetReference(image);
        ref T dst0 = ref MemoryMarshal.GetReference(col);
        int row = 0;
        for (int c = 0; c < g.Cg; c++)
        for (int i = 0; i < g.KH; i++)
        for (int j = 0; j < g.KW; j++, row++)
        {
            var (lo, hi) = cols[j];
            int count = hi - lo, iwLo = lo * g.SW + j * g.DW - g.PW;
            for (int oh = 0; oh < g.Ho; oh++)
            {
                ref T dst = ref Unsafe.Add(ref dst0, row * g.L + oh * g.Wo);
                int ih = oh * g.SH - g.PH + i * g.DH;
                if ((uint)ih >= (uint)g.H || count == 0) { MemoryMarshal.CreateSpan(ref dst, g.Wo).Clear(); continue; }
                for (int k = 0; k < lo; k++) Unsafe.Add(ref dst, k) = T.Zero;
                for (int k = hi; k < g.Wo; k++) Unsafe.Add(ref dst, k) = T.Zero;
                ref T src = ref Unsafe.Add(ref src0, c * plane + ih * g.W + iwLo);
                if (g.SW == 1) MemoryMarshal.CreateReadOnlySpan(ref src, count).CopyTo(MemoryMarshal.CreateSpan(ref Unsafe.Add(ref dst, lo), count));
                else for (int k = 0; k < count; k++) Unsafe.Add(ref dst, lo + k) = Unsafe.Add(ref src, k * g.SW);
            }
        }
    }

    /// <summary>image [Cg, H, W] += col2im(col): each column entry is added back to the input pixel it
    /// was read from. The caller zeroes image first.</summary>
    public static void Unpack<T>(ReadOnlySpan<T> col, Span<T> image, in ConvGeometry g)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int plane = g.H * g.W;
        if (image.Length < g.Cg * plane || col.Length < g.K * g.L)
            throw new ArgumentException("col2im: image or column buffer too small for the geometry");
        Span<(int Lo, int Hi)> cols = stackalloc (int, int)[g.KW];
        for (int j = 0; j < g.KW; j++) cols[j] = Interval(j * g.DW - g.PW, g.SW, g.W, g.Wo);
        ref T src0 = ref MemoryMarshal.GetReference(col);
        ref T dst0 = ref MemoryMarshal.GetReference(image);
        int row = 0;
        for (int c = 0; c < g.Cg; c++)
        for (int i = 0; i < g.KH; i++)
        for (int j = 0; j < g.KW; j++, row++)
        {
            var (lo, hi) = cols[j];
            int count = hi - lo, iwLo = lo * g.SW + j * g.DW - g.PW;
            if (count == 0) continue;
            for (int oh = 0; oh < g.Ho; oh++)
            {
                int ih = oh * g.SH - g.PH + i * g.DH;
                if ((uint)ih >= (uint)g.H) continue;
                ref T src = ref Unsafe.Add(ref src0, row * g.L + oh * g.Wo + lo);
                ref T dst = ref Unsafe.Add(ref dst0, c * plane + ih * g.W + iwLo);
                if (g.SW == 1) AddInto(MemoryMarshal.CreateSpan(ref dst, count), MemoryMarshal.CreateReadOnlySpan(ref src, count));
                else for (int k = 0; k < count; k++) Unsafe.Add(ref dst, k * g.SW) += Unsafe.Add(ref src, k);
            }
        }
    }
    /// <summary>The output positions [lo, hi) whose input coordinate o * stride + shift lies in [0, size),
    /// clipped to [0, outSize); empty (lo == hi) when none does.</summary>
    private static (int Lo, int Hi) Interval(int shift, int stride, int size, int outSize)
    {
        int lo = shift >= 0 ? 0 : (-shift + stride - 1) / stride;
        int last = size - 1 - shift; // largest o * stride allowed
        int hi = last < 0 ? 0 : last / stride + 1;
        lo = Math.Min(lo, outSize);
        hi = Math.Clamp(hi, lo, outSize);
        return (lo, hi);
    }

    private static void AddInto<T>(Span<T> dst, ReadOnlySpan<T> src) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
        {
            for (; i <= dst.Length - Vector<T>.Count; i += Vector<T>.Count)
                (new Vector<T>(dst[i..]) + new Vector<T>(src[i..])).CopyTo(dst[i..]);
        }
        for (; i < dst.Length; i++) dst[i] += src[i];
    }
}
