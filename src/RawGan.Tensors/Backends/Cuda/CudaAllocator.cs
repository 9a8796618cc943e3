namespace RawGan.Backends.Cuda;

// Inside the namespace so that "Cuda" names the driver bindings, not this namespace.
using RawGan.Backends.Cuda.Interop;

/// <summary>
/// A caching allocator in the spirit of PyTorch's: device memory freed by a tensor goes back to a
/// free list keyed by (stream, size class) instead of to the driver, so a training loop that
/// allocates the same shapes every step calls cuMemAlloc only during its first steps.
///
/// Reuse is safe without events because every kernel of the backend runs on one stream: work
/// queued after a block is handed out again runs after the work that used it before.
///
/// Size classes: multiples of 512 B up to 1 MiB, then 8 classes per power of two (at most 12.5 %
/// waste). Blocks are never split or merged. On an out-of-memory error the cached blocks are
/// released to the driver and the allocation is retried once.
///
/// A step captured in a CUDA graph allocates from a private pool (<see cref="BeginCapturePool"/>):
/// its replays reuse the addresses baked into the graph, so no block the graph uses may be handed
/// to anyone else until the graph is gone (<see cref="ReleasePool"/>).
/// </summary>
public sealed class CudaAllocator
{
    public const long SmallLimit = 1 << 20;
    public const long SmallGranule = 512;

    /// <summary>Bytes in use (handed to tensors, rounded to size classes) and reserved (obtained
    /// from cuMemAlloc, in use or cached), their peaks since the backend started, the number of
    /// cuMemAlloc calls, of allocations served from the cache, and of cached blocks.</summary>
    public readonly record struct Statistics(long InUse, long PeakInUse, long Reserved, long PeakReserved,
        long DriverAllocations, long CacheHits, long CachedBlocks);

    internal readonly record struct Block(CUdeviceptr Pointer, long Size, CUstream Stream, Pool? Owner);

    /// <summary>Free lists of one owner: every tensor's, or one captured graph's.</summary>
    internal sealed class Pool
    {
        public readonly Dictionary<(nint Stream, long Size), Stack<CUdeviceptr>> Free = [];
        public bool Released;
    }

    private readonly Lock _gate = new();
    private readonly Pool _shared = new();
    private Pool? _capture;
    private long _inUse, _peakInUse, _reserved, _peakReserved, _driverAllocations, _cacheHits, _cachedBlocks;

    /// <summary>The size class of a request: what the block really holds.</summary>
    public static long RoundSize(long bytes)
    {
        if (bytes <= 0) return 0;
        if (bytes <= SmallLimit) return (bytes + SmallGranule - 1) / SmallGranule * SmallGranule;
        long step = (1L << (63 - (int)long.LeadingZeroCount(bytes))) / 8;
        return (bytes + step - 1) / step * step;
    }

    /// <summary>A block of at least <paramref name="bytes"/> for work on <paramref name="stream"/>;
    /// the context must be current. Zero bytes gives the null pointer.</summary>
    internal Block Allocate(long bytes, CUstream stream)
    {
        long size = RoundSize(bytes);
        if (size == 0) return new Block(CUdeviceptr.Null, 0, stream, null);
        Pool pool;
        lock (_gate)
        {
            pool = _capture ?? _shared;
            if (pool.Free.TryGetValue((stream.Handle, size), out var list) && list.Count > 0)
            {
                _cacheHits++;
                _cachedBlocks--;
                Use(size);
                return new Block(list.Pop(), size, stream, pool);
            }
        }
        var pointer = DriverAllocate(size);
        lock (_gate)
        {
            _driverAllocations++;
            _reserved += size;
            _peakReserved = Math.Max(_peakReserved, _reserved);
            Use(size);
        }
        return new Block(pointer, size, stream, pool);
    }

    /// <summary>Returns a block to the cache. Makes no CUDA call, so finalizers may call it.</summary>
    internal void Free(Block block)
    {
        if (block.Size == 0) return;
        lock (_gate)
        {
            var pool = block.Owner is { Released: false } owner ? owner : _shared;
            Push(pool, block.Stream.Handle, block.Size, block.Pointer);
            _cachedBlocks++;
            _inUse -= block.Size;
        }
    }

    /// <summary>From here until <see cref="EndCapturePool"/>, blocks come from and go back to a new
    /// private pool (a graph capture on this allocator's only stream).</summary>
    internal Pool BeginCapturePool()
    {
        lock (_gate)
        {
            if (_capture is not null) throw new InvalidOperationException("a capture pool is already open");
            return _capture = new Pool();
        }
    }

    /// <summary>Allocation returns to the shared pool; the private one stays the graph's: its free
    /// blocks wait for the graph's replays, and its blocks still in use return to it.</summary>
    internal void EndCapturePool()
    {
        lock (_gate) _capture = null;
    }

    /// <summary>The graph is gone: its pool's free blocks join the shared pool, and so will its
    /// blocks still held by tensors when they are freed.</summary>
    internal void ReleasePool(Pool pool)
    {
        lock (_gate)
        {
            pool.Released = true;
            foreach (var ((stream, size), list) in pool.Free)
                foreach (var pointer in list) Push(_shared, stream, size, pointer);
            pool.Free.Clear();
        }
    }

    private static void Push(Pool pool, nint stream, long size, CUdeviceptr pointer)
    {
        if (!pool.Free.TryGetValue((stream, size), out var list)) pool.Free[(stream, size)] = list = new Stack<CUdeviceptr>();
        list.Push(pointer);
    }

    /// <summary>Gives every cached block of the shared pool back to the driver (after the queued
    /// work that may still use them has finished); the context must be current.</summary>
    public void EmptyCache()
    {
        Cuda.Check(Cuda.cuCtxSynchronize());
        List<CUdeviceptr> release = [];
        long bytes = 0;
        lock (_gate)
        {
            foreach (var ((_, size), list) in _shared.Free)
            {
                bytes += size * list.Count;
                release.AddRange(list);
            }
            _shared.Free.Clear();
            _cachedBlocks -= release.Count;
            _reserved -= bytes;
        }
        foreach (var pointer in release) Cuda.Check(Cuda.cuMemFree_v2(pointer));
    }

    public Statistics Stats
    {
        get
        {
            lock (_gate) return new(_inUse, _peakInUse, _reserved, _peakReserved, _driverAllocations, _cacheHits, _cachedBlocks);
        }
    }

    private void Use(long size)
    {
        _inUse += size;
        _peakInUse = Math.Max(_peakInUse, _inUse);
    }

    private CUdeviceptr DriverAllocate(long size)
    {
        var status = Cuda.cuMemAlloc_v2(out var pointer, (nuint)size);
        if (status == CUresult.CUDA_ERROR_OUT_OF_MEMORY)
        {
            // The cache may hold enough memory in blocks of other sizes: release it and try again.
            EmptyCache();
            status = Cuda.cuMemAlloc_v2(out pointer, (nuint)size);
        }
        if (status == CUresult.CUDA_ERROR_OUT_OF_MEMORY)
        {
            Cuda.Check(Cuda.cuMemGetInfo_v2(out var free, out var total));
            var s = Stats;
            throw new OutOfMemoryException(
                $"CUDA out of memory allocating {Mib(size)} (in use by tensors {Mib(s.InUse)}, reserved by RawGan {Mib(s.Reserved)}, " +
                $"free on the device {Mib((long)free)} of {Mib((long)total)})");
        }
        Cuda.Check(status, "cuMemAlloc_v2");
        return pointer;
    }

    private static string Mib(long bytes) => $"{bytes / (1024.0 * 1024.0):F1} MiB";
}
