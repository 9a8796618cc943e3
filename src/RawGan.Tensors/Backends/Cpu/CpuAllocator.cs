using System.Numerics;
using System.Runtime.CompilerServices;

namespace RawGan.Backends.Cpu;

/// <summary>
/// The CPU twin of the CUDA caching allocator: an array freed by a tensor goes onto a free list
/// keyed by its element type and exact length, and the next tensor of that length takes it back.
/// A training loop allocates the same shapes every step, so after the first step it allocates no
/// managed memory at all: no garbage between collections (which was most of the CPU backend's peak
/// memory) and no zeroing of fresh arrays.
///
/// Arrays handed out again are not cleared, as on the GPU: every op writes all of its output.
/// <see cref="PoisonReused"/> fills them with NaN instead, so a test can prove that nothing reads
/// memory it did not write. Cached arrays beyond <see cref="CacheLimitBytes"/> are left to the GC.
/// </summary>
public sealed class CpuAllocator
{
    /// <summary>Bytes in tensors and their peak since the start (or <see cref="ResetPeak"/>), bytes
    /// cached for reuse, allocations served from the cache and new arrays.</summary>
    public readonly record struct Statistics(long InUse, long PeakInUse, long Cached, long CacheHits, long NewArrays);

    private readonly Lock _gate = new();
    private readonly Dictionary<(Type Element, int Length), Stack<Array>> _free = [];
    private long _inUse, _peakInUse, _cached, _cacheHits, _newArrays;

    /// <summary>A quarter of the memory the GC may use: enough to keep a whole step's arrays.</summary>
    public long CacheLimitBytes { get; set; } = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 4;

    /// <summary>Fill reused arrays with NaN (tests; also <c>RAWGAN_CPU_POISON=1</c>).</summary>
    public bool PoisonReused { get; set; } = Environment.GetEnvironmentVariable("RAWGAN_CPU_POISON") == "1";

    internal T[] Rent<T>(int length) where T : unmanaged, IFloatingPoint<T>
    {
        long bytes = Bytes<T>(length);
        T[]? array = null;
        lock (_gate)
        {
            if (_free.TryGetValue((typeof(T), length), out var list) && list.Count > 0)
            {
                array = (T[])list.Pop();
                _cached -= bytes;
                _cacheHits++;
            }
            else
            {
                _newArrays++;
            }
            _inUse += bytes;
            _peakInUse = Math.Max(_peakInUse, _inUse);
        }
        if (array is null) return new T[length];
        if (PoisonReused) array.AsSpan().Fill(T.CreateTruncating(double.NaN));
        return array;
    }

    internal void Return<T>(T[] array) where T : unmanaged
    {
        long bytes = Bytes<T>(array.Length);
        lock (_gate)
        {
            _inUse -= bytes;
            if (_cached + bytes > CacheLimitBytes) return;
            var key = (typeof(T), array.Length);
            if (!_free.TryGetValue(key, out var list)) _free[key] = list = new Stack<Array>();
            list.Push(array);
            _cached += bytes;
        }
    }

    /// <summary>Drops every cached array (the GC reclaims them).</summary>
    public void EmptyCache()
    {
        lock (_gate)
        {
            _free.Clear();
            _cached = 0;
        }
    }

    /// <summary>Starts a new peak from the bytes in use now (benchmarks measure one phase).</summary>
    public void ResetPeak()
    {
        lock (_gate) _peakInUse = _inUse;
    }

    public Statistics Stats
    {
        get
        {
            lock (_gate) return new(_inUse, _peakInUse, _cached, _cacheHits, _newArrays);
        }
    }

    private static long Bytes<T>(int length) where T : unmanaged => (long)length * Unsafe.SizeOf<T>();
}
