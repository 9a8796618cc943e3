using System.Runtime.InteropServices;

namespace RawGan;

/// <summary>
/// The host side of a training step recorded once and replayed (a CUDA graph: see
/// Backends/Cuda/CudaStepGraph.cs). A replay re-runs the step's device work only, so the few values
/// that change from one step to the next cannot be kernel arguments: Philox offsets and optimizer
/// step sizes. While a capture records, the code that draws random numbers (<see cref="Draw"/>) and
/// the optimizers (<see cref="Cell"/>) put those values in cells, a small device buffer the kernels
/// read; before each later replay <see cref="BeforeReplay"/> moves the host state on as an eager
/// step would (generator offsets, step counts, <see cref="OnReplay"/> work) and rewrites the cells.
///
/// On the CPU nothing is deferred: cells are written when they are made and the step runs as it is
/// recorded, which is how the tests check the cell paths against eager steps without a GPU.
/// </summary>
public sealed class StepCapture : IDisposable
{
    /// <summary>Float32 elements of the cell buffer: two per generator and per optimizer group (parameters of one step count).</summary>
    public const int Capacity = 8192;

    [ThreadStatic] private static StepCapture? _recording;

    private readonly Device _device;
    private readonly Tensor _cells;
    private readonly float[] _values = new float[Capacity];
    private readonly List<(int At, Func<float[]> Next)> _refills = [];
    private readonly List<Action> _hostWork = [];
    private readonly List<Tensor> _views = [];
    private readonly Dictionary<Generator, GeneratorCell> _generators = new(ReferenceEqualityComparer.Instance);
    private int _used;
    private bool _ended;

    private StepCapture(Device device)
    {
        _device = device;
        _cells = Tensor.Zeros([Capacity], device: device).DetachFromScope();
    }

    /// <summary>The capture recording on this thread, if any.</summary>
    public static StepCapture? Recording => _recording;

    /// <summary>Starts recording on this thread; the cell buffer is allocated now, before any graph capture.</summary>
    public static StepCapture Begin(Device device)
    {
        if (_recording is not null) throw new InvalidOperationException("a step capture is already recording on this thread");
        return _recording = new StepCapture(device);
    }

    /// <summary>Stops recording; from here on each generator's per-step draw is known.</summary>
    public void End()
    {
        if (_ended) return;
        _ended = true;
        if (ReferenceEquals(_recording, this)) _recording = null;
        foreach (var (generator, cell) in _generators) cell.PerStep = generator.Offset - cell.Start;
    }

    /// <summary>
    /// A cell holding <paramref name="values"/> for the recorded step; before each later replay it
    /// holds what <paramref name="next"/> returns then (it may move host state on: it runs once per
    /// replay, in recording order).
    /// </summary>
    public Tensor Cell(ReadOnlySpan<float> values, Func<float[]> next)
    {
        int at = Reserve(values.Length);
        values.CopyTo(_values.AsSpan(at));
        _refills.Add((at, next));
        return Slice(at, values.Length);
    }

    /// <summary>
    /// Where a Philox draw of <paramref name="n"/> elements reads its offset in a recorded step: the
    /// generator's cell (its offset at the step's start) and the offset relative to it. Outside a
    /// capture, no cell and the absolute offset.
    /// </summary>
    public static (ulong Seed, ulong Offset, Tensor? OffsetBase) Draw(Generator generator, long n)
    {
        var (seed, offset) = generator.Reserve(n);
        if (_recording is not { } capture) return (seed, offset, null);
        if (!capture._generators.TryGetValue(generator, out var cell))
        {
            // The offset before this first draw: where the recorded step's stream starts.
            int at = capture.Reserve(2);
            MemoryMarshal.Write(MemoryMarshal.AsBytes(capture._values.AsSpan(at, 2)), offset);
            capture._generators[generator] = cell = new GeneratorCell(at, offset, capture.Slice(at, 2));
        }
        return (seed, offset - cell.Start, cell.View);
    }

    /// <summary>Host work the recorded step did that each later replay must repeat (BatchNorm's
    /// batch counter, kept on the host); runs before the replay.</summary>
    public void OnReplay(Action work) => _hostWork.Add(work);

    /// <summary>
    /// Readies the next replay: for the recorded step itself (<paramref name="first"/>) only uploads
    /// the cells; for every later one first moves the generators on by one step's draws, refills the
    /// cells and repeats the host work, in recording order, as an eager step would.
    /// </summary>
    public void BeforeReplay(bool first)
    {
        if (!_ended) throw new InvalidOperationException("BeforeReplay: the capture is still recording");
        if (!first)
        {
            foreach (var (generator, cell) in _generators)
            {
                MemoryMarshal.Write(MemoryMarshal.AsBytes(_values.AsSpan(cell.At, 2)), generator.Offset);
                generator.SetOffset(generator.Offset + cell.PerStep);
            }
            foreach (var (at, next) in _refills) next().CopyTo(_values.AsSpan(at));
            foreach (var work in _hostWork) work();
        }
        Upload();
    }

    /// <summary>Float32 elements in use, and the values the cells hold for the next replay (tests).</summary>
    public int Used => _used;
    public ReadOnlySpan<float> Values => _values.AsSpan(0, _used);

    public void Dispose()
    {
        End();
        foreach (var view in _views) view.Dispose();
        _cells.Dispose();
    }

    /// <summary>A generator's cell: where it is, the offset the recorded step started from, the view the
    /// kernels read, and (once recording ends) how far one step moves the generator.</summary>
    private sealed record GeneratorCell(int At, ulong Start, Tensor View)
    {
        public ulong PerStep { get; set; }
    }

    private int Reserve(int count)
    {
        if (_ended) throw new InvalidOperationException("the step capture has ended: no new cells");
        int at = (_used + 1) & ~1; // 8-byte aligned, for the generators' ulong offsets
        if (at + count > Capacity)
            throw new InvalidOperationException($"a captured step needs more than {Capacity} cell values (optimized parameters and generators)");
        _used = at + count;
        return at;
    }

    private Tensor Slice(int at, int count)
    {
        if (_device == Device.Cpu) Upload(); // nothing is deferred on the CPU: the values are read now
        var view = _cells.Slice(0, at, at + count).DetachFromScope();
        _views.Add(view);
        return view;
    }

    private void Upload()
    {
        if (_used == 0) return;
        using var used = _cells.Slice(0, 0, _used).DetachFromScope();
        used.Backend.CopyFromHost(used, MemoryMarshal.AsBytes(_values.AsSpan(0, _used)));
    }
}
