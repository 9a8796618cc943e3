using System.Numerics;

namespace RawGan.Backends.Cpu;

/// <summary>One element of a pointwise op: out = f(a, b, param). Implemented by small structs so
/// the JIT specialises each loop for each op and element type (no delegate per element).</summary>
internal interface IPointwise
{
    T Apply<T>(T a, T b, T param) where T : unmanaged, IFloatingPointIeee754<T>;
}

/// <summary>Loops over contiguous tensors, split across cores when large.</summary>
internal static class Pointwise
{
    private const int ParallelThreshold = 1 << 15;

    /// <summary>out[i] = op(a[i], b[i], param); pass a as b when the op reads one input.</summary>
    public static void Run<TOp>(Tensor output, Tensor a, Tensor b, double param, TOp op = default)
        where TOp : struct, IPointwise
    {
        if (output.DType == DType.Float32) Run<float, TOp>(output, a, b, param, op);
        else Run<double, TOp>(output, a, b, param, op);
    }

    private static void Run<T, TOp>(Tensor output, Tensor a, Tensor b, double param, TOp op)
        where T : unmanaged, IFloatingPointIeee754<T> where TOp : struct, IPointwise
    {
        var outArray = (T[])((CpuStorage)output.Storage).Data;
        var aArray = (T[])((CpuStorage)a.Storage).Data;
        var bArray = (T[])((CpuStorage)b.Storage).Data;
        int outOff = output.Offset, aOff = a.Offset, bOff = b.Offset, n = output.NumEl;
        var p = T.CreateTruncating(param);

        void Chunk(int start, int end)
        {
            for (int i = start; i < end; i++)
                outArray[outOff + i] = op.Apply(aArray[aOff + i], bArray[bOff + i], p);
        }

        if (n < ParallelThreshold) Chunk(0, n);
        else Parallel.For(0, Environment.ProcessorCount, c =>
        {
            int per = (n + Environment.ProcessorCount - 1) / Environment.ProcessorCount;
            Chunk(Math.Min(c * per, n), Math.Min((c + 1) * per, n));
        });
    }
}
