using System.Numerics;
using System.Runtime.CompilerServices;

namespace RawGan.Backends.Cpu;

/// <summary>
/// The register-blocked micro-kernel: an <see cref="Mr"/> × (2 vectors) tile of C held in 12
/// accumulators (12 + 2 B vectors + 1 broadcast fit the 16 registers of AVX2, and leave AVX-512's 32
/// roomy) updated by one rank-1 FMA step per k. 12 independent chains cover the FMA latency × ports.
/// </summary>
internal static unsafe class GemmKernel
{
    /// <summary>Rows of C per micro-tile; a packed A micro-panel interleaves this many rows.</summary>
    public const int Mr = 6;

    /// <summary>
    /// C[0..rows, 0..cols] = alpha · Â·B̂ + beta · C, where Â is rows × kc with Â[i, p] at ap[i·rowStride + p·kStride]
    /// (a packed panel, or A or Aᵀ in place) and B̂ a packed kc × nr panel (nr = 2 vectors per k, zero-padded
    /// past cols). When <paramref name="readC"/> is false C is only written, so it may hold NaN or garbage.
    /// </summary>
    public static void Run<T, TVec, TSimd>(int kc, T* ap, nint rowStride, nint kStride, T* bp, T* c, int ldc, int rows, int cols,
        T alpha, T beta, bool readC)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVec : unmanaged
        where TSimd : IGemmSimd<T, TVec>
    {
        int l = TSimd.Lanes;

        // Rows past the edge re-read the last real row: they stay in bounds, and their sums are never stored.
        nint o1 = Math.Min(1, rows - 1) * rowStride, o2 = Math.Min(2, rows - 1) * rowStride;
        nint o3 = Math.Min(3, rows - 1) * rowStride, o4 = Math.Min(4, rows - 1) * rowStride;
        nint o5 = Math.Min(5, rows - 1) * rowStride;
        TVec c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        TVec c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int p = 0; p < kc; p++)
        {
            TVec b0 = TSimd.Load(bp), b1 = TSimd.Load(bp + l);
            TVec a = TSimd.Broadcast(ap[0]);
            c00 = TSimd.MulAdd(a, b0, c00); c01 = TSimd.MulAdd(a, b1, c01);
            a = TSimd.Broadcast(ap[o1]);
            c10 = TSimd.MulAdd(a, b0, c10); c11 = TSimd.MulAdd(a, b1, c11);
            a = TSimd.Broadcast(ap[o2]);
            c20 = TSimd.MulAdd(a, b0, c20); c21 = TSimd.MulAdd(a, b1, c21);
            a = TSimd.Broadcast(ap[o3]);
            c30 = TSimd.MulAdd(a, b0, c30); c31 = TSimd.MulAdd(a, b1, c31);
            a = TSimd.Broadcast(ap[o4]);
            c40 = TSimd.MulAdd(a, b0, c40); c41 = TSimd.MulAdd(a, b1, c41);
            a = TSimd.Broadcast(ap[o5]);
            c50 = TSimd.MulAdd(a, b0, c50); c51 = TSimd.MulAdd(a, b1, c51);
            ap += kStride;
            bp += 2 * l;
        }

        TVec va = TSimd.Broadcast(alpha), vb = TSimd.Broadcast(beta);
        if (rows == Mr && cols == 2 * l)
        {
            StoreRow<T, TVec, TSimd>(c, c00, c01, va, vb, readC);
            StoreRow<T, TVec, TSimd>(c + ldc, c10, c11, va, vb, readC);
            StoreRow<T, TVec, TSimd>(c + 2 * ldc, c20, c21, va, vb, readC);
            StoreRow<T, TVec, TSimd>(c + 3 * ldc, c30, c31, va, vb, readC);
            StoreRow<T, TVec, TSimd>(c + 4 * ldc, c40, c41, va, vb, readC);
            StoreRow<T, TVec, TSimd>(c + 5 * ldc, c50, c51, va, vb, readC);
            return;
        }

        // An edge tile: land alpha·acc in a scratch tile, then merge only the rows × cols that exist.
        int nr = 2 * l;
        T* tile = stackalloc T[Mr * nr];
        StoreRow<T, TVec, TSimd>(tile, c00, c01, va, vb, readC: false);
        StoreRow<T, TVec, TSimd>(tile + nr, c10, c11, va, vb, readC: false);
        StoreRow<T, TVec, TSimd>(tile + 2 * nr, c20, c21, va, vb, readC: false);
        StoreRow<T, TVec, TSimd>(tile + 3 * nr, c30, c31, va, vb, readC: false);
        StoreRow<T, TVec, TSimd>(tile + 4 * nr, c40, c41, va, vb, readC: false);
        StoreRow<T, TVec, TSimd>(tile + 5 * nr, c50, c51, va, vb, readC: false);
        for (int i = 0; i < rows; i++)
        {
            T* src = tile + i * nr, dst = c + (nint)i * ldc;
            if (readC) for (int j = 0; j < cols; j++) dst[j] = src[j] + beta * dst[j];
            else for (int j = 0; j < cols; j++) dst[j] = src[j];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow<T, TVec, TSimd>(T* dst, TVec x0, TVec x1, TVec alpha, TVec beta, bool readC)
        where T : unmanaged
        where TVec : unmanaged
        where TSimd : IGemmSimd<T, TVec>
    {
        int l = TSimd.Lanes;
        if (readC)
        {
            TSimd.Store(dst, TSimd.MulAdd(beta, TSimd.Load(dst), TSimd.Multiply(alpha, x0)));
            TSimd.Store(dst + l, TSimd.MulAdd(beta, TSimd.Load(dst + l), TSimd.Multiply(alpha, x1)));
        }
        else
        {
            TSimd.Store(dst, TSimd.Multiply(alpha, x0));
            TSimd.Store(dst + l, TSimd.Multiply(alpha, x1));
        }
    }
}
