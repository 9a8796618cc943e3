using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace RawGan.Backends.Cpu;

/// <summary>Short contiguous runs for im2col and col2im: copies and adds of a few to a few dozen elements, widest
/// vectors first, and the even/odd split of a float row that stride 2 needs.</summary>
internal static class Segments
{
    /// <summary>evens[m] = src[2m], odds[m] = src[2m + 1] for the n elements of src. A float pair read as one
    /// 64-bit lane holds the even element in its low half, so narrowing the lanes to 32 bits keeps the evens,
    /// and narrowing them shifted right by 32 keeps the odds.</summary>
    public static void Deinterleave(ref float src, ref float evens, ref float odds, int n)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i <= n - 2 * Vector512<float>.Count; i += 2 * Vector512<float>.Count)
            {
                var a = Vector512.LoadUnsafe(ref src, (nuint)i).AsUInt64();
                var b = Vector512.LoadUnsafe(ref src, (nuint)(i + Vector512<float>.Count)).AsUInt64();
                Vector512.Narrow(a, b).AsSingle().StoreUnsafe(ref evens, (nuint)(i / 2));
                Vector512.Narrow(a >>> 32, b >>> 32).AsSingle().StoreUnsafe(ref odds, (nuint)(i / 2));
            }
        for (; i <= n - 2 * Vector256<float>.Count; i += 2 * Vector256<float>.Count)
        {
            var a = Vector256.LoadUnsafe(ref src, (nuint)i).AsUInt64();
            var b = Vector256.LoadUnsafe(ref src, (nuint)(i + Vector256<float>.Count)).AsUInt64();
            Vector256.Narrow(a, b).AsSingle().StoreUnsafe(ref evens, (nuint)(i / 2));
            Vector256.Narrow(a >>> 32, b >>> 32).AsSingle().StoreUnsafe(ref odds, (nuint)(i / 2));
        }
        for (; i <= n - 2 * Vector128<float>.Count; i += 2 * Vector128<float>.Count)
        {
            var a = Vector128.LoadUnsafe(ref src, (nuint)i).AsUInt64();
            var b = Vector128.LoadUnsafe(ref src, (nuint)(i + Vector128<float>.Count)).AsUInt64();
            Vector128.Narrow(a, b).AsSingle().StoreUnsafe(ref evens, (nuint)(i / 2));
            Vector128.Narrow(a >>> 32, b >>> 32).AsSingle().StoreUnsafe(ref odds, (nuint)(i / 2));
        }
        for (; i < n; i++) Unsafe.Add(ref i % 2 == 0 ? ref evens : ref odds, i / 2) = Unsafe.Add(ref src, i);
    }

    /// <summary>The inverse of <see cref="Deinterleave"/>: dst[2m] = evens[m], dst[2m + 1] = odds[m].</summary>
    public static void Interleave(ref float evens, ref float odds, ref float dst, int n)
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i <= n - 2 * Vector512<float>.Count; i += 2 * Vector512<float>.Count)
            {
                var e = Vector512.LoadUnsafe(ref evens, (nuint)(i / 2)).AsUInt32();
                var o = Vector512.LoadUnsafe(ref odds, (nuint)(i / 2)).AsUInt32();
                (Vector512.WidenLower(e) | Vector512.WidenLower(o) << 32).AsSingle().StoreUnsafe(ref dst, (nuint)i);
                (Vector512.WidenUpper(e) | Vector512.WidenUpper(o) << 32).AsSingle().StoreUnsafe(ref dst, (nuint)(i + Vector512<float>.Count));
            }
        for (; i <= n - 2 * Vector256<float>.Count; i += 2 * Vector256<float>.Count)
        {
            var e = Vector256.LoadUnsafe(ref evens, (nuint)(i / 2)).AsUInt32();
            var o = Vector256.LoadUnsafe(ref odds, (nuint)(i / 2)).AsUInt32();
            (Vector256.WidenLower(e) | Vector256.WidenLower(o) << 32).AsSingle().StoreUnsafe(ref dst, (nuint)i);
            (Vector256.WidenUpper(e) | Vector256.WidenUpper(o) << 32).AsSingle().StoreUnsafe(ref dst, (nuint)(i + Vector256<float>.Count));
        }
        for (; i <= n - 2 * Vector128<float>.Count; i += 2 * Vector128<float>.Count)
        {
            var e = Vector128.LoadUnsafe(ref evens, (nuint)(i / 2)).AsUInt32();
            var o = Vector128.LoadUnsafe(ref odds, (nuint)(i / 2)).AsUInt32();
            (Vector128.WidenLower(e) | Vector128.WidenLower(o) << 32).AsSingle().StoreUnsafe(ref dst, (nuint)i);
            (Vector128.WidenUpper(e) | Vector128.WidenUpper(o) << 32).AsSingle().StoreUnsafe(ref dst, (nuint)(i + Vector128<float>.Count));
        }
        for (; i < n; i++) Unsafe.Add(ref dst, i) = Unsafe.Add(ref i % 2 == 0 ? ref evens : ref odds, i / 2);
    }

    /// <summary>dst[0, n) = src[0, n), widest vectors first: segments are a few to a few dozen elements.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Copy<T>(ref T src, ref T dst, int n) where T : unmanaged
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i <= n - Vector512<T>.Count; i += Vector512<T>.Count)
                Vector512.LoadUnsafe(ref src, (nuint)i).StoreUnsafe(ref dst, (nuint)i);
        for (; i <= n - Vector256<T>.Count; i += Vector256<T>.Count)
            Vector256.LoadUnsafe(ref src, (nuint)i).StoreUnsafe(ref dst, (nuint)i);
        for (; i <= n - Vector128<T>.Count; i += Vector128<T>.Count)
            Vector128.LoadUnsafe(ref src, (nuint)i).StoreUnsafe(ref dst, (nuint)i);
        for (; i < n; i++) Unsafe.Add(ref dst, i) = Unsafe.Add(ref src, i);
    }

    /// <summary>dst[0, n) += src[0, n), as <see cref="Copy{T}"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AddInto<T>(ref T src, ref T dst, int n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int i = 0;
        if (Vector512.IsHardwareAccelerated)
            for (; i <= n - Vector512<T>.Count; i += Vector512<T>.Count)
                (Vector512.LoadUnsafe(ref dst, (nuint)i) + Vector512.LoadUnsafe(ref src, (nuint)i)).StoreUnsafe(ref dst, (nuint)i);
        for (; i <= n - Vector256<T>.Count; i += Vector256<T>.Count)
            (Vector256.LoadUnsafe(ref dst, (nuint)i) + Vector256.LoadUnsafe(ref src, (nuint)i)).StoreUnsafe(ref dst, (nuint)i);
        for (; i <= n - Vector128<T>.Count; i += Vector128<T>.Count)
            (Vector128.LoadUnsafe(ref dst, (nuint)i) + Vector128.LoadUnsafe(ref src, (nuint)i)).StoreUnsafe(ref dst, (nuint)i);
        for (; i < n; i++) Unsafe.Add(ref dst, i) += Unsafe.Add(ref src, i);
    }
}
