namespace RawGan.Backends.Cpu;

/// <summary>CPU storage is a managed array (float[] or double[]) taken from the backend's
/// <see cref="CpuAllocator"/> and given back when the last view is disposed. A CPU tensor that is
/// never disposed costs nothing but memory: the GC collects its array.</summary>
public sealed class CpuStorage : Storage
{
    private readonly CpuAllocator _allocator;

    internal CpuStorage(IBackend backend, CpuAllocator allocator, DType dtype, int count) : base(backend, dtype, count)
    {
        _allocator = allocator;
        Data = dtype switch
        {
            DType.Float32 => allocator.Rent<float>(count),
            DType.Float64 => allocator.Rent<double>(count),
            _ => throw new NotSupportedException($"the CPU backend does not store {dtype.Name()}"),
        };
    }

    public Array Data { get; private set; }

    internal Span<T> Span<T>() where T : unmanaged => Data is T[] array
        ? array
        : throw new InvalidOperationException($"storage holds {DType.Name()}, not {typeof(T).Name}");

    protected override void Free()
    {
        var data = Data;
        // A freed storage holds an empty array: a use after free fails instead of reading an
        // array that another tensor owns now.
        Data = Array.Empty<byte>();
        if (data is float[] f) _allocator.Return(f);
        else if (data is double[] d) _allocator.Return(d);
    }
}
