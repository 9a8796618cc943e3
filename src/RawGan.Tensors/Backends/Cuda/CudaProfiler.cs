namespace RawGan.Backends.Cuda;

// Inside the namespace so that "Cuda" names the driver bindings, not this namespace.
using RawGan.Backends.Cuda.Interop;

/// <summary>GPU time of one kind of work over a profile: our kernel (kernels/file.cu:name) or a library call.</summary>
public readonly record struct ProfileRow(string Name, int Calls, double Milliseconds);

/// <summary>
/// Where the GPU's time goes, per kernel and per cuDNN, cuBLAS or copy call: while a profile runs,
/// every unit of work the backend queues is bracketed by two timed events on the stream, and
/// <see cref="Stop"/> sums the times between them by name. Off (the normal case) it costs one field
/// read per launch. The events add a few microseconds of host time per launch, so a profiled step's
/// wall time is a little longer than an unprofiled one's; the GPU times themselves are the work's.
/// A profile and a graph capture exclude each other: a replayed graph is one unit to the stream.
/// </summary>
public sealed class CudaProfiler
{
    private readonly CUstream _stream;
    private readonly Lock _gate = new();
    private readonly List<(string Name, CUevent Start, CUevent Stop)> _spans = [];
    private readonly Stack<CUevent> _idle = [];
    private bool _active;

    internal CudaProfiler(CUstream stream) => _stream = stream;

    /// <summary>Whether a profile is running.</summary>
    public bool Active => Volatile.Read(ref _active);

    /// <summary>Starts timing every unit of work queued from now on (the backend's context must be current).</summary>
    public void Start()
    {
        lock (_gate)
        {
            if (_active) throw new InvalidOperationException("a profile is already running");
            _active = true;
        }
    }

    /// <summary>Waits for the work timed so far, ends the profile and returns the GPU time per name, largest first.</summary>
    public IReadOnlyList<ProfileRow> Stop()
    {
        lock (_gate)
        {
            if (!_active) throw new InvalidOperationException("no profile is running");
            _active = false;
            try
            {
                var totals = new Dictionary<string, (int Calls, double Ms)>();
                foreach (var (name, start, stop) in _spans)
                {
                    Cuda.Check(Cuda.cuEventSynchronize(stop));
                    Cuda.Check(Cuda.cuEventElapsedTime(out float ms, start, stop));
                    var (calls, sum) = totals.GetValueOrDefault(name);
                    totals[name] = (calls + 1, sum + ms);
                }
                return [.. totals.Select(t => new ProfileRow(t.Key, t.Value.Calls, t.Value.Ms)).OrderByDescending(r => r.Milliseconds)];
            }
            finally
            {
                foreach (var (_, start, stop) in _spans)
                {
                    _idle.Push(start);
                    _idle.Push(stop);
                }
                _spans.Clear();
            }
        }
    }

    /// <summary>Brackets the work queued until the returned scope is disposed, under <paramref name="name"/>;
    /// nothing when no profile runs.</summary>
    internal Span Time(string name)
    {
        if (!Active) return default;
        var start = Record();
        return new Span(this, name, start);
    }

    /// <summary>The end of a timed unit of work: dispose it right after the work is queued.</summary>
    internal readonly struct Span(CudaProfiler? profiler, string name, CUevent start) : IDisposable
    {
        public void Dispose()
        {
            if (profiler is null) return;
            var stop = profiler.Record();
            lock (profiler._gate) profiler._spans.Add((name, start, stop));
        }
    }

    /// <summary>An event from the pool (or a new one, with timing), recorded on the stream now.</summary>
    private CUevent Record()
    {
        CUevent e;
        lock (_gate)
        {
            if (!_idle.TryPop(out e)) Cuda.Check(Cuda.cuEventCreate(out e, CUevent_flags.CU_EVENT_DEFAULT));
        }
        Cuda.Check(Cuda.cuEventRecord(e, _stream));
        return e;
    }
}
