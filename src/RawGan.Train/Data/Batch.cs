namespace RawGan.Data;

/// <summary>
/// One batch from a <see cref="BatchLoader"/>: <see cref="Count"/>×3×<see cref="Size"/>×<see cref="Size"/>
/// floats, NCHW, RGB. Dispose it once its data is copied out, so the loader reuses the buffer;
/// the data must not be read after that.
/// </summary>
public sealed class Batch : IDisposable
{
    readonly Action<Batch> recycle;
    int disposed;

    internal Batch(int count, int size, Action<Batch> recycle)
    {
        Count = count;
        Size = size;
        Data = new float[count * 3 * size * size];
        this.recycle = recycle;
    }

    public float[] Data { get; }
    public int Count { get; }
    public int Channels => 3;
    public int Size { get; }

    /// <summary>Which batch this is.</summary>
    public LoaderPosition Position { get; internal set; }

    internal void Reuse() => disposed = 0;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 0) recycle(this);
    }
}
