namespace RawGan.Backends.Cpu;

/// <summary>CPU storage is a managed array (float[] or double[]): the GC owns it, so a CPU tensor
/// that is never disposed costs nothing but memory.</summary>
public sealed class CpuStorage : Storage
{
    internal CpuStorage(IBackend backend, DType dtype, int count) : base(backend, dtype, count)
    {
        Data = dtype switch
        {
            DType.Float32 => new float[count],
            DType.Float64 => new double[count],
            _ => throw new NotSupportedException($"the CPU backend does not store {dtype.Name()}"),
        };
    }

    public Array Data { get; private set; }

    internal Span<T> Span<T>() where T : unmanaged => Data is T[] array
        ? array
        : throw new InvalidOperationException($"storage holds {DType.Name()}, not {typeof(T).Name}");

    protected override void Free() => Data = Array.Empty<byte>();
}
