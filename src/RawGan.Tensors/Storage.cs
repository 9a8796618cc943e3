using RawGan.Backends;

namespace RawGan;

/// <summary>
/// A flat buffer of <see cref="Count"/> elements owned by one backend. Tensors are views
/// onto a storage (shape, strides, offset); several views share one storage through a
/// reference count, and the backend frees the memory when the last view is disposed.
/// </summary>
public abstract class Storage
{
    private int _refs = 1;

    protected Storage(IBackend backend, DType dtype, int count)
    {
        Backend = backend;
        DType = dtype;
        Count = count;
    }

    public IBackend Backend { get; }
    public DType DType { get; }
    public int Count { get; }
    public long Bytes => (long)Count * DType.ElementSize();
    public bool IsFreed => Volatile.Read(ref _refs) <= 0;

    /// <summary>More than one view holds this storage.</summary>
    internal bool IsShared => Volatile.Read(ref _refs) > 1;

    internal void AddRef()
    {
        if (Interlocked.Increment(ref _refs) <= 1)
            throw new ObjectDisposedException(nameof(Storage), "storage used after it was freed");
    }

    internal void Release()
    {
        if (Interlocked.Decrement(ref _refs) == 0)
            Free();
    }

    /// <summary>Returns the memory to the backend. Called once, when the last view goes.</summary>
    protected abstract void Free();
}
