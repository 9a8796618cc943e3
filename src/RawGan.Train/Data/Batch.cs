namespace RawGan.Data;

/// <summary>
/// One batch from a <see cref="BatchLoader"/>: <see cref="Count"/>×3×<see cref="Size"/>×<see cref="Size"/>
/// pixels, NCHW, RGB, as bytes; <see cref="ToTensor"/> makes the float batch a model sees. Bytes, so
/// that a GPU receives a quarter of the floats' size and widens them itself. Dispose it once its
/// data is copied out, so the loader reuses the buffer; the data must not be read after that.
/// </summary>
public sealed class Batch : IDisposable
{
    readonly Action<Batch> recycle;
    readonly float[] byteValues;
    int disposed;

    internal Batch(int count, int size, float[] byteValues, Action<Batch> recycle)
    {
        Count = count;
        Size = size;
        Pixels = new byte[count * 3 * size * size];
        this.byteValues = byteValues;
        this.recycle = recycle;
    }

    public byte[] Pixels { get; }
    public int Count { get; }
    public int Channels => 3;
    public int Size { get; }

    /// <summary>Which batch this is.</summary>
    public LoaderPosition Position { get; internal set; }

    /// <summary>The batch as floats in the loader's <see cref="BatchLoaderOptions.Range"/>, on <paramref name="device"/>.</summary>
    public Tensor ToTensor(Device device) => Tensor.FromUInt8(Pixels, [Count, Channels, Size, Size], byteValues, device);

    internal void Reuse() => disposed = 0;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 0) recycle(this);
    }
}
