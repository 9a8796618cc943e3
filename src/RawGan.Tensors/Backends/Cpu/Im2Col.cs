using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace RawGan.Backends.Cpu;

/// <summary>
/// im2col and its adjoint col2im for one image of one group. The image's column matrix is
/// [Cg * kH * kW, Ho * Wo], row-major with leading dimension ld (ld > Ho * Wo when several images'
/// matrices sit side by side in one buffer): row (c, i, j) holds, for every output position (oh, ow),
/// the input x[c, oh * sh - ph + i * dh, ow * sw - pw + j * dw], zero where that falls in the padding.
/// Both go through a staging copy of the image, zero-padded and with each row split into its sw column
/// phases (plane p holds the padded columns p, p + sw, p + 2 sw, ...). In it, the Wo inputs of one output
/// row under kernel element (i, j) are Wo consecutive elements with no padding to test for, so each
/// (row, oh) segment is one short vector copy or add: DCGAN's stride-2 layers have Wo = 4 to 16, and a
/// scalar strided loop with edge tests per segment cost more than the GEMM it feeds.
/// </summary>
internal static class Im2Col
{
    /// <summary>Elements of the staging buffer the caller passes to <see cref="Pack{T}"/> and <see cref="Unpack{T}"/>.</summary>
    public static int StagingSize(in ConvGeometry g) => g.Cg * new Staging(g).Plane;

    /// <summary>Fills col [K, L] (leading dimension ld) from image [Cg, H, W]; every one of its K * L elements is written.</summary>
    public static void Pack<T>(ReadOnlySpan<T> image, Span<T> col, int ld, Span<T> staging, in ConvGeometry g)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var s = new Staging(g);
        Check(image.Length, col.Length, ld, staging.Length, s, g);
        staging[..(g.Cg * s.Plane)].Clear();
        ref T img = ref MemoryMarshal.GetReference(image);
        ref T stage = ref MemoryMarshal.GetReference(staging);
        for (int c = 0; c < g.Cg; c++)
        for (int h = 0; h < g.H; h++)
            Stage(ref Unsafe.Add(ref img, (c * g.H + h) * g.W), ref Unsafe.Add(ref stage, s.Index(c, h + g.PH, 0)), s, g);

        ref T dst0 = ref MemoryMarshal.GetReference(col);
        int row = 0, step = g.SH * s.RowStride;
        for (int c = 0; c < g.Cg; c++)
        for (int i = 0; i < g.KH; i++)
        for (int j = 0; j < g.KW; j++, row++)
        {
            ref T src = ref Unsafe.Add(ref stage, s.Index(c, i * g.DH, j * g.DW));
            ref T dst = ref Unsafe.Add(ref dst0, row * ld);
            for (int oh = 0; oh < g.Ho; oh++) Segments.Copy(ref Unsafe.Add(ref src, oh * step), ref Unsafe.Add(ref dst, oh * g.Wo), g.Wo);
        }
    }

    /// <summary>image [Cg, H, W] = col2im(col), col [K, L] with leading dimension ld: each pixel is the sum of the
    /// column entries read from it (zero if none is); every element of image is written.</summary>
    public static void Unpack<T>(ReadOnlySpan<T> col, int ld, Span<T> image, Span<T> staging, in ConvGeometry g)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var s = new Staging(g);
        Check(image.Length, col.Length, ld, staging.Length, s, g);
        staging[..(g.Cg * s.Plane)].Clear();
        ref T src0 = ref MemoryMarshal.GetReference(col);
        ref T stage = ref MemoryMarshal.GetReference(staging);
        int row = 0, step = g.SH * s.RowStride;
        for (int c = 0; c < g.Cg; c++)
        for (int i = 0; i < g.KH; i++)
        for (int j = 0; j < g.KW; j++, row++)
        {
            ref T src = ref Unsafe.Add(ref src0, row * ld);
            ref T dst = ref Unsafe.Add(ref stage, s.Index(c, i * g.DH, j * g.DW));
            for (int oh = 0; oh < g.Ho; oh++) Segments.AddInto(ref Unsafe.Add(ref src, oh * g.Wo), ref Unsafe.Add(ref dst, oh * step), g.Wo);
        }

        ref T img = ref MemoryMarshal.GetReference(image);
        for (int c = 0; c < g.Cg; c++)
        for (int h = 0; h < g.H; h++)
            Unstage(ref Unsafe.Add(ref stage, s.Index(c, h + g.PH, 0)), ref Unsafe.Add(ref img, (c * g.H + h) * g.W), s, g);
    }

    /// <summary>Spreads one image row over its staged row's phase planes, at padded columns PW to PW + W.</summary>
    private static void Stage<T>(ref T src, ref T row, in Staging s, in ConvGeometry g) where T : unmanaged
    {
        if (g.SW == 1) { Segments.Copy(ref src, ref Unsafe.Add(ref row, g.PW), g.W); return; }
        if (g.SW == 2 && typeof(T) == typeof(float))
        {
            // Even image columns land in plane PW % 2 from PW / 2 on, odd ones in the other plane from (PW + 1) / 2.
            ref float evens = ref Unsafe.As<T, float>(ref Unsafe.Add(ref row, g.PW % 2 * s.Width + g.PW / 2));
            ref float odds = ref Unsafe.As<T, float>(ref Unsafe.Add(ref row, (g.PW + 1) % 2 * s.Width + (g.PW + 1) / 2));
            Segments.Deinterleave(ref Unsafe.As<T, float>(ref src), ref evens, ref odds, g.W);
            return;
        }
        int p = g.PW % g.SW, q = g.PW / g.SW;
        for (int w = 0; w < g.W; w++)
        {
            Unsafe.Add(ref row, p * s.Width + q) = Unsafe.Add(ref src, w);
            if (++p == g.SW) { p = 0; q++; }
        }
    }

    /// <summary>The inverse of <see cref="Stage{T}"/>: one image row back from its staged row.</summary>
    private static void Unstage<T>(ref T row, ref T dst, in Staging s, in ConvGeometry g) where T : unmanaged
    {
        if (g.SW == 1) { Segments.Copy(ref Unsafe.Add(ref row, g.PW), ref dst, g.W); return; }
        if (g.SW == 2 && typeof(T) == typeof(float))
        {
            ref float evens = ref Unsafe.As<T, float>(ref Unsafe.Add(ref row, g.PW % 2 * s.Width + g.PW / 2));
            ref float odds = ref Unsafe.As<T, float>(ref Unsafe.Add(ref row, (g.PW + 1) % 2 * s.Width + (g.PW + 1) / 2));
            Segments.Interleave(ref evens, ref odds, ref Unsafe.As<T, float>(ref dst), g.W);
            return;
        }
        int p = g.PW % g.SW, q = g.PW / g.SW;
        for (int w = 0; w < g.W; w++)
        {
            Unsafe.Add(ref dst, w) = Unsafe.Add(ref row, p * s.Width + q);
            if (++p == g.SW) { p = 0; q++; }
        }
    }

    private static void Check(int image, int col, int ld, int staging, in Staging s, in ConvGeometry g)
    {
        if (image < g.GroupImage || ld < g.L || col < (long)(g.K - 1) * ld + g.L || staging < g.Cg * s.Plane)
            throw new ArgumentException("im2col: image, column or staging buffer too small for the geometry");
    }

    /// <summary>
    /// Layout of the staging copy: per channel, Rows padded rows of Phases planes of Width elements; padded
    /// column x of row r sits in plane x % sw at x / sw. Rows and columns reach both the padded image and the
    /// furthest input any output position reads (Ho and Wo come from the output tensor), so every read of a
    /// segment stays inside its channel.
    /// </summary>
    private readonly struct Staging
    {
        public Staging(in ConvGeometry g)
        {
            Rows = Math.Max(g.H + 2 * g.PH, (g.Ho - 1) * g.SH + (g.KH - 1) * g.DH + 1);
            Phases = g.SW;
            int columns = Math.Max(g.W + 2 * g.PW, (g.Wo - 1) * g.SW + (g.KW - 1) * g.DW + 1);
            Width = (columns + g.SW - 1) / g.SW;
        }

        public int Rows { get; }
        public int Phases { get; }
        public int Width { get; }
        public int RowStride => Phases * Width;
        public int Plane => Rows * RowStride;

        /// <summary>Element of channel c, padded row r, padded column x; padded column x + ow * sw is ow further on.</summary>
        public int Index(int c, int r, int x) => (c * Rows + r) * RowStride + x % Phases * Width + x / Phases;
    }
}
