using System.Runtime.InteropServices;

namespace RawGan;

/// <summary>
/// A copy of a tensor to host memory that is queued on its device but perhaps not done yet
/// (<see cref="Tensor.StartReadBack"/>). The host goes on queuing work and calls <see cref="Wait"/>
/// only when it needs the values; the wait is for this copy alone, not for work queued after it.
/// The values are those the tensor held when the device reached the copy, whatever is queued later.
/// Backends fulfil it: <see cref="Backends.IBackend.StartCopyToHost"/>.
/// </summary>
public abstract class PendingRead : IDisposable
{
    private double[]? _values;
    private bool _released;

    protected PendingRead(DType dtype, int count)
    {
        DType = dtype;
        Count = count;
    }

    public DType DType { get; }

    /// <summary>Elements being read.</summary>
    public int Count { get; }

    /// <summary>True when the copy is known to have landed, so <see cref="Wait"/> would not block. A backend
    /// that cannot tell without waiting says false until Wait has returned.</summary>
    public virtual bool IsDone => _values is not null;

    /// <summary>Blocks until the copy has landed, then returns the elements in row-major order
    /// converted to double (as <see cref="Tensor.ToDoubleArray"/>). Later calls return the same array.</summary>
    public double[] Wait()
    {
        if (_values is not null) return _values;
        ObjectDisposedException.ThrowIf(_released, this);
        var bytes = WaitForBytes();
        _values = DType == DType.Float64
            ? MemoryMarshal.Cast<byte, double>(bytes).ToArray()
            : Widen(MemoryMarshal.Cast<byte, float>(bytes));
        Dispose();
        return _values;
    }

    private static double[] Widen(ReadOnlySpan<float> values)
    {
        var result = new double[values.Length];
        for (int i = 0; i < values.Length; i++) result[i] = values[i];
        return result;
    }

    /// <summary>Waits for the copy; the bytes stay readable until <see cref="Release"/>.</summary>
    protected abstract ReadOnlySpan<byte> WaitForBytes();

    /// <summary>Hands the host buffer back for later reads; called once, by Wait or Dispose.</summary>
    protected abstract void Release();

    /// <summary>Gives up the read if it was not waited for (the copy may still land in a buffer nobody reads).</summary>
    public void Dispose()
    {
        if (_released) return;
        _released = true;
        Release();
        GC.SuppressFinalize(this);
    }
}
