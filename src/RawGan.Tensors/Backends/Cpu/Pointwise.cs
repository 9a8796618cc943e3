using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace RawGan.Backends.Cpu;

/// <summary>One element of a pointwise op: out = f(a, b, param). Implemented by small structs so
/// the JIT specialises each loop for each op and element type (no delegate per element).</summary>
internal interface IPointwise
{
    T Apply<T>(T a, T b, T param) where T : unmanaged, IFloatingPointIeee754<T>;
}

/// <summary>A pointwise op with a SIMD form as well, giving the same bits as the scalar form on every
/// input, -0 and NaN included (so results do not depend on where a tensor's tail falls).</summary>
internal interface IVectorPointwise : IPointwise
{
    Vector<T> Apply<T>(Vector<T> a, Vector<T> b, Vector<T> param) where T : unmanaged, IFloatingPointIeee754<T>;
}

/// <summary>Loops over contiguous tensors, split across cores when large.</summary>
internal static class Pointwise
{
    private const int ParallelThreshold = 1 << 15;

    /// <summary>A SIMD loop streams this many elements in about the time a task takes to start and join.</summary>
    private const int VectorParallelThreshold = 1 << 17;

    /// <summary>out[i] = op(a[i], b[i], param); pass a as b when the op reads one input.</summary>
    public static void Run<TOp>(Tensor output, Tensor a, Tensor b, double param, TOp op = default)
        where TOp : struct, IPointwise
    {
        if (output.DType == DType.Float32) Run<float, TOp>(output, a, b, param, op);
        else Run<double, TOp>(output, a, b, param, op);
    }

    /// <summary>As <see cref="Run{TOp}"/>, whole vectors at a time and the scalar form on the tail. The loop is
    /// compiled optimised from its first call: unoptimised (tier-0) code makes every vector operation a call,
    /// and a training step calls each activation only a few times, so tiering up would take many steps.</summary>
    public static void RunVector<TOp>(Tensor output, Tensor a, Tensor b, double param, TOp op = default)
        where TOp : struct, IVectorPointwise
    {
        if (output.DType == DType.Float32) RunVector<float, TOp>(output, a, b, param, op);
        else RunVector<double, TOp>(output, a, b, param, op);
    }

    private static void Run<T, TOp>(Tensor output, Tensor a, Tensor b, double param, TOp op)
        where T : unmanaged, IFloatingPointIeee754<T> where TOp : struct, IPointwise
    {
        var (outArray, outOff) = Raw<T>(output);
        var (aArray, aOff) = Raw<T>(a);
        var (bArray, bOff) = Raw<T>(b);
        var p = T.CreateTruncating(param);
        Split(output.NumEl, ParallelThreshold, (start, end) =>
        {
            for (int i = start; i < end; i++)
                outArray[outOff + i] = op.Apply(aArray[aOff + i], bArray[bOff + i], p);
        });
    }

    private static void RunVector<T, TOp>(Tensor output, Tensor a, Tensor b, double param, TOp op)
        where T : unmanaged, IFloatingPointIeee754<T> where TOp : struct, IVectorPointwise
    {
        var (outArray, outOff) = Raw<T>(output);
        var (aArray, aOff) = Raw<T>(a);
        var (bArray, bOff) = Raw<T>(b);
        var p = T.CreateTruncating(param);
        var pv = new Vector<T>(p);
        Split(output.NumEl, VectorParallelThreshold, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (start, end) =>
        {
            var o = outArray.AsSpan(outOff + start, end - start);
            ReadOnlySpan<T> x = aArray.AsSpan(aOff + start, o.Length), y = bArray.AsSpan(bOff + start, o.Length);
            // Unchecked loads and stores: the three spans have one length, checked as they were sliced.
            ref T o0 = ref MemoryMarshal.GetReference(o);
            ref T x0 = ref MemoryMarshal.GetReference(x), y0 = ref MemoryMarshal.GetReference(y);
            int i = 0;
            for (; i <= o.Length - Vector<T>.Count; i += Vector<T>.Count)
                op.Apply(Vector.LoadUnsafe(ref x0, (nuint)i), Vector.LoadUnsafe(ref y0, (nuint)i), pv).StoreUnsafe(ref o0, (nuint)i);
            for (; i < o.Length; i++) o[i] = op.Apply(x[i], y[i], p);
        });
    }

    /// <summary>body(start, end) over [0, n), in one piece per core from threshold elements up; every
    /// piece but the last a multiple of 16 elements, so whole vectors of up to 16 lanes.</summary>
    private static void Split(int n, int threshold, Action<int, int> body)
    {
        int cores = Environment.ProcessorCount;
        if (n < threshold || cores == 1) { body(0, n); return; }
        int per = ((n + cores - 1) / cores + 15) & ~15;
        Parallel.For(0, cores, c => body(Math.Min(c * per, n), Math.Min((c + 1) * per, n)));
    }

    private static (T[] Array, int Offset) Raw<T>(Tensor t) where T : unmanaged =>
        ((T[])((CpuStorage)t.Storage).Data, t.Offset);
}
