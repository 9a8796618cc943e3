using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace RawGan.Backends.Cpu;

/// <summary>
/// Copies a block of op(B), or of op(A) = Aᵀ, into the order the micro-kernel reads it, so the kernel streams it
/// from contiguous memory whatever the transposes and leading dimensions were. B tails are zero-padded to whole
/// micro-panels, so the kernel's full-width loads need no bounds check.
/// </summary>
internal static unsafe class GemmPack
{
    /// <summary>
    /// Aᵀ[i0 .. i0+mc, p0 .. p0+kc] (that is, a[p0 .. p0+kc, i0 .. i0+mc]) as ⌈mc/Mr⌉ panels of kc × Mr:
    /// panel q holds, for each k, the Mr values of rows q·Mr .. q·Mr+Mr. Rows past mc are left unset: the
    /// micro-kernel never reads them.
    /// </summary>
    public static void TransposedA<T>(T* a, int lda, int i0, int mc, int p0, int kc, T* dst)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        const int mr = GemmKernel.Mr;
        int full = mc / mr * mr;
        nint panel = (nint)mr * kc;

        // Walk each row of a once, front to back, dealing Mr-long runs out to the panels.
        for (int p = 0; p < kc; p++)
        {
            T* src = a + (nint)(p0 + p) * lda + i0;
            T* d = dst + p * mr;
            for (int ir = 0; ir < full; ir += mr, d += panel)
            {
                d[0] = src[ir]; d[1] = src[ir + 1]; d[2] = src[ir + 2];
                d[3] = src[ir + 3]; d[4] = src[ir + 4]; d[5] = src[ir + 5];
            }
            for (int r = full; r < mc; r++) d[r - full] = src[r];
        }
    }

    /// <summary>
    /// op(B)[p0 .. p0+kc, j0 .. j0+nc] as ⌈nc/nr⌉ panels of kc × nr (nr = 2 vectors): panel q holds,
    /// for each k, the nr values of columns q·nr .. q·nr+nr.
    /// </summary>
    public static void B<T, TVec, TSimd>(T* b, int ldb, bool transB, int p0, int kc, int j0, int nc, T* dst)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVec : unmanaged
        where TSimd : IGemmSimd<T, TVec>
    {
        int l = TSimd.Lanes, nr = 2 * l;
        if (transB)
        {
            TransposedB(b, ldb, p0, kc, j0, nc, nr, dst);
            return;
        }

        int full = nc / nr * nr, cols = nc - full;
        nint panel = (nint)nr * kc;

        // op(B)[p, j] = b[p, j]: walk each row of the block once, front to back, dealing it out to the panels.
        for (int p = 0; p < kc; p++)
        {
            T* src = b + (nint)(p0 + p) * ldb + j0;
            T* d = dst + p * nr;
            for (int jr = 0; jr < full; jr += nr, d += panel)
            {
                TSimd.Store(d, TSimd.Load(src + jr));
                TSimd.Store(d + l, TSimd.Load(src + jr + l));
            }
            if (cols > 0)
            {
                int q = 0;
                for (; q < cols; q++) d[q] = src[full + q];
                for (; q < nr; q++) d[q] = T.Zero;
            }
        }
    }

    /// <summary>
    /// The transB case: op(B)[p, j] = b[j, p], so each panel is an nr × kc slab of b turned on its side.
    /// float with AVX turns 8 × 8 blocks in registers (8 loads, 24 shuffles, 8 stores for 64 values);
    /// the rest, and double, go one value at a time, reading b contiguously.
    /// </summary>
    private static void TransposedB<T>(T* b, int ldb, int p0, int kc, int j0, int nc, int nr, T* dst)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        nint panel = (nint)nr * kc;
        for (int jr = 0; jr < nc; jr += nr)
        {
            T* d = dst + jr / nr * panel;
            int width = Math.Min(nr, nc - jr);
            int q = 0;
            if (typeof(T) == typeof(float) && Avx.IsSupported)
            {
                int kc8 = kc / 8 * 8;
                for (; q + 8 <= width; q += 8)
                {
                    T* src = b + (nint)(j0 + jr + q) * ldb + p0;
                    for (int p = 0; p < kc8; p += 8) Transpose8x8((float*)src + p, ldb, (float*)d + p * nr + q, nr);
                    for (int r = 0; r < 8; r++)
                        for (int p = kc8; p < kc; p++) d[p * nr + q + r] = src[(nint)r * ldb + p];
                }
            }
            for (; q < width; q++)
            {
                T* src = b + (nint)(j0 + jr + q) * ldb + p0;
                for (int p = 0; p < kc; p++) d[p * nr + q] = src[p];
            }
            for (; q < nr; q++)
                for (int p = 0; p < kc; p++) d[p * nr + q] = T.Zero;
        }
    }

    /// <summary>dst[t·ldd + r] = src[r·lds + t] for an 8 × 8 block of floats.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose8x8(float* src, int lds, float* dst, int ldd)
    {
        var r0 = Avx.LoadVector256(src);
        var r1 = Avx.LoadVector256(src + lds);
        var r2 = Avx.LoadVector256(src + 2 * (nint)lds);
        var r3 = Avx.LoadVector256(src + 3 * (nint)lds);
        var r4 = Avx.LoadVector256(src + 4 * (nint)lds);
        var r5 = Avx.LoadVector256(src + 5 * (nint)lds);
        var r6 = Avx.LoadVector256(src + 6 * (nint)lds);
        var r7 = Avx.LoadVector256(src + 7 * (nint)lds);

        // Interleave pairs of rows, then pairs of pairs, within each 128-bit lane; then swap lanes.
        var t0 = Avx.UnpackLow(r0, r1); var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3); var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5); var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7); var t7 = Avx.UnpackHigh(r6, r7);
        var u0 = Avx.Shuffle(t0, t2, 0x44); var u1 = Avx.Shuffle(t0, t2, 0xEE);
        var u2 = Avx.Shuffle(t1, t3, 0x44); var u3 = Avx.Shuffle(t1, t3, 0xEE);
        var u4 = Avx.Shuffle(t4, t6, 0x44); var u5 = Avx.Shuffle(t4, t6, 0xEE);
        var u6 = Avx.Shuffle(t5, t7, 0x44); var u7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Store(dst, Avx.Permute2x128(u0, u4, 0x20));
        Avx.Store(dst + ldd, Avx.Permute2x128(u1, u5, 0x20));
        Avx.Store(dst + 2 * ldd, Avx.Permute2x128(u2, u6, 0x20));
        Avx.Store(dst + 3 * ldd, Avx.Permute2x128(u3, u7, 0x20));
        Avx.Store(dst + 4 * ldd, Avx.Permute2x128(u0, u4, 0x31));
        Avx.Store(dst + 5 * ldd, Avx.Permute2x128(u1, u5, 0x31));
        Avx.Store(dst + 6 * ldd, Avx.Permute2x128(u2, u6, 0x31));
        Avx.Store(dst + 7 * ldd, Avx.Permute2x128(u3, u7, 0x31));
    }
}
