using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace RawGan.Backends.Cpu;

/// <summary>[N, C, ...] seen as N x C planes of HW contiguous elements: channel ch is plane (i, ch) for every i.</summary>
internal readonly record struct ChannelPlanes(int N, int C, int HW)
{
    public static ChannelPlanes Of(Tensor x) => new(x.Shape[0], x.Shape[1], x.NumEl / Math.Max(x.Shape[0] * x.Shape[1], 1));

    /// <summary>Elements per channel.</summary>
    public long Count => (long)N * HW;

    public int Start(int i, int ch) => (i * C + ch) * HW;
}

/// <summary>
/// The per-channel loops of batch norm, in double whatever the tensor's dtype. Each plane goes in
/// blocks of <see cref="Block"/> elements held as two double vectors (float32 widened on load and rounded
/// once on store, as the scalar formula does), its tail element by element. The two halves of a block feed
/// separate accumulators, so consecutive adds do not wait on each other; the order of additions depends
/// on the shape and the vector width alone, so results are the same on every run. The loops are compiled
/// optimised from the first call (see <see cref="Pointwise.RunVector{TOp}"/>).
/// </summary>
internal static class BatchNormSimd
{
    /// <summary>One float vector, or two double vectors.</summary>
    private static int Block => Vector<float>.Count;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double Sum<T>(ReadOnlySpan<T> x, ChannelPlanes planes, int ch) where T : unmanaged, IFloatingPointIeee754<T>
    {
        Vector<double> lo = default, hi = default;
        double tail = 0;
        for (int i = 0; i < planes.N; i++)
        {
            var p = x.Slice(planes.Start(i, ch), planes.HW);
            int k = 0;
            for (; k <= p.Length - Block; k += Block)
            {
                Load(p, k, out var a, out var b);
                lo += a; hi += b;
            }
            for (; k < p.Length; k++) tail += double.CreateTruncating(p[k]);
        }
        return Vector.Sum(lo + hi) + tail;
    }

    /// <summary>Sum of (x - mean)^2 over the channel.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double SquaredDeviations<T>(ReadOnlySpan<T> x, ChannelPlanes planes, int ch, double mean)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var m = new Vector<double>(mean);
        Vector<double> lo = default, hi = default;
        double tail = 0;
        for (int i = 0; i < planes.N; i++)
        {
            var p = x.Slice(planes.Start(i, ch), planes.HW);
            int k = 0;
            for (; k <= p.Length - Block; k += Block)
            {
                Load(p, k, out var a, out var b);
                a -= m; b -= m;
                lo += a * a; hi += b * b;
            }
            for (; k < p.Length; k++)
            {
                double d = double.CreateTruncating(p[k]) - mean;
                tail += d * d;
            }
        }
        return Vector.Sum(lo + hi) + tail;
    }

    /// <summary>y = leaky(z) with z = (x - mean) scale + beta over the channel (leaky(z) = z &gt; 0 ? z : slope z;
    /// slope 1 is plain batch norm), in double: a float32 mean is off by up to half an ulp of its magnitude,
    /// which a channel with a large mean and small spread would otherwise see as an error of that size in
    /// every normalised value.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Normalize<T>(Span<T> y, ReadOnlySpan<T> x, ChannelPlanes planes, int ch, double mean, double scale, double beta, double slope = 1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Vector<double> m = new(mean), s = new(scale), bv = new(beta), sl = new(slope);
        for (int i = 0; i < planes.N; i++)
        {
            var src = x.Slice(planes.Start(i, ch), planes.HW);
            var dst = y.Slice(planes.Start(i, ch), planes.HW);
            int k = 0;
            for (; k <= src.Length - Block; k += Block)
            {
                Load(src, k, out var a, out var b);
                Store(dst, k, Leaky((a - m) * s + bv, sl), Leaky((b - m) * s + bv, sl));
            }
            for (; k < src.Length; k++)
            {
                double z = (double.CreateTruncating(src[k]) - mean) * scale + beta;
                dst[k] = T.CreateTruncating(z > 0 ? z : slope * z);
            }
        }
    }

    /// <summary>(sum g, sum g (x - mean)) over the channel, g = dy times the slope of leaky at
    /// z = (x - mean) scale + beta (1 where z &gt; 0, else <paramref name="slope"/>; slope 1: g = dy).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static (double SumG, double SumGXc) GradientSums<T>(ReadOnlySpan<T> dy, ReadOnlySpan<T> x, ChannelPlanes planes, int ch,
        double mean, double scale = 1, double beta = 0, double slope = 1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Vector<double> m = new(mean), sc = new(scale), bv = new(beta), sl = new(slope);
        Vector<double> sLo = default, sHi = default, pLo = default, pHi = default;
        double sTail = 0, pTail = 0;
        for (int i = 0; i < planes.N; i++)
        {
            var d = dy.Slice(planes.Start(i, ch), planes.HW);
            var xs = x.Slice(planes.Start(i, ch), planes.HW);
            int k = 0;
            for (; k <= d.Length - Block; k += Block)
            {
                Load(d, k, out var da, out var db);
                Load(xs, k, out var xa, out var xb);
                xa -= m; xb -= m;
                var ga = Gate(da, xa * sc + bv, sl);
                var gb = Gate(db, xb * sc + bv, sl);
                sLo += ga; sHi += gb;
                pLo += ga * xa; pHi += gb * xb;
            }
            for (; k < d.Length; k++)
            {
                double xc = double.CreateTruncating(xs[k]) - mean;
                double g = double.CreateTruncating(d[k]);
                if (!(xc * scale + beta > 0)) g *= slope;
                sTail += g;
                pTail += g * xc;
            }
        }
        return (Vector.Sum(sLo + sHi) + sTail, Vector.Sum(pLo + pHi) + pTail);
    }

    /// <summary>dx = a g + b (x - mean) + shift over the channel, a = gamma invstd, g as in
    /// <see cref="GradientSums{T}"/> with scale a.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void InputGradient<T>(Span<T> dx, ReadOnlySpan<T> dy, ReadOnlySpan<T> x, ChannelPlanes planes, int ch,
        double a, double b, double mean, double shift, double beta = 0, double slope = 1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Vector<double> av = new(a), bv = new(b), m = new(mean), sv = new(shift), be = new(beta), sl = new(slope);
        for (int i = 0; i < planes.N; i++)
        {
            int start = planes.Start(i, ch);
            var o = dx.Slice(start, planes.HW);
            var d = dy.Slice(start, planes.HW);
            var xs = x.Slice(start, planes.HW);
            int k = 0;
            for (; k <= o.Length - Block; k += Block)
            {
                Load(d, k, out var da, out var db);
                Load(xs, k, out var xa, out var xb);
                xa -= m; xb -= m;
                Store(o, k, av * Gate(da, xa * av + be, sl) + bv * xa + sv, av * Gate(db, xb * av + be, sl) + bv * xb + sv);
            }
            for (; k < o.Length; k++)
            {
                double xc = double.CreateTruncating(xs[k]) - mean;
                double g = double.CreateTruncating(d[k]);
                if (!(xc * a + beta > 0)) g *= slope;
                o[k] = T.CreateTruncating(a * g + b * xc + shift);
            }
        }
    }

    /// <summary>z &gt; 0 ? z : slope z, lane by lane.</summary>
    private static Vector<double> Leaky(Vector<double> z, Vector<double> slope) =>
        Vector.ConditionalSelect(Vector.GreaterThan(z, Vector<double>.Zero), z, z * slope);

    /// <summary>g where z &gt; 0, slope g elsewhere: the chain rule through leaky at z.</summary>
    private static Vector<double> Gate(Vector<double> g, Vector<double> z, Vector<double> slope) =>
        Vector.ConditionalSelect(Vector.GreaterThan(z, Vector<double>.Zero), g, g * slope);

    // Unchecked loads and stores: every caller's loop keeps k + Block within the span.

    /// <summary>s[k .. k + Block) as two double vectors.</summary>
    private static void Load<T>(ReadOnlySpan<T> s, int k, out Vector<double> lo, out Vector<double> hi) where T : unmanaged
    {
        ref T s0 = ref MemoryMarshal.GetReference(s);
        if (typeof(T) == typeof(float))
        {
            Vector.Widen(Vector.LoadUnsafe(ref Unsafe.As<T, float>(ref s0), (nuint)k), out lo, out hi);
            return;
        }
        ref double d = ref Unsafe.As<T, double>(ref s0);
        lo = Vector.LoadUnsafe(ref d, (nuint)k);
        hi = Vector.LoadUnsafe(ref d, (nuint)(k + Vector<double>.Count));
    }

    /// <summary>Writes lo, hi to s[k .. k + Block), rounding to float32 if s is.</summary>
    private static void Store<T>(Span<T> s, int k, Vector<double> lo, Vector<double> hi) where T : unmanaged
    {
        ref T s0 = ref MemoryMarshal.GetReference(s);
        if (typeof(T) == typeof(float))
        {
            Vector.Narrow(lo, hi).StoreUnsafe(ref Unsafe.As<T, float>(ref s0), (nuint)k);
            return;
        }
        ref double d = ref Unsafe.As<T, double>(ref s0);
        lo.StoreUnsafe(ref d, (nuint)k);
        hi.StoreUnsafe(ref d, (nuint)(k + Vector<double>.Count));
    }
}
