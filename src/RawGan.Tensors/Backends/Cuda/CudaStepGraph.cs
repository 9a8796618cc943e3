namespace RawGan.Backends.Cuda;

// Inside the namespace so that "Cuda" names the driver bindings, not this namespace.
using RawGan.Backends.Cuda.Interop;

/// <summary>
/// A whole training step recorded once in a CUDA graph and replayed: one cuGraphLaunch instead of
/// the step's hundreds of kernel, cuDNN and cuBLAS launches, which dominate small batches.
///
/// What makes a replay equal to an eager step:
/// - the step's tensors come from a private pool of the allocator, so the addresses baked into the
///   graph belong to it until it is disposed; its outputs (the step's metrics) are rewritten in
///   place by every replay;
/// - the values that change between steps (Philox offsets, optimizer step sizes) are read from the
///   cells of a <see cref="StepCapture"/>, which also moves the host state on before each replay;
/// - the step must queue device work only: a read back to the host or a wait during the capture
///   throws (see CudaBackend.NotWhileCapturing), and recipes say whether theirs can be captured.
/// The step's inputs must be tensors that outlive the graph (copy each new batch into them), and it
/// must have run eagerly at least once first (cuDNN's algorithm search, optimizer state, kernels).
/// </summary>
public sealed class CudaStepGraph : IDisposable
{
    private readonly CudaBackend _backend;
    private readonly StepCapture _capture;
    private readonly CudaAllocator.Pool _pool;
    private readonly CUgraph _graph;
    private readonly CUgraphExec _exec;
    private bool _replayed, _disposed;

    private CudaStepGraph(CudaBackend backend, StepCapture capture, CudaAllocator.Pool pool, CUgraph graph, CUgraphExec exec, IReadOnlyList<Tensor> outputs)
    {
        (_backend, _capture, _pool, _graph, _exec) = (backend, capture, pool, graph, exec);
        Outputs = outputs;
    }

    /// <summary>The step's results, on the device: after each <see cref="Replay"/> they hold that step's values.</summary>
    public IReadOnlyList<Tensor> Outputs { get; }

    /// <summary>
    /// Records <paramref name="step"/>. Its host side runs now (the step counts as taken: generators
    /// and optimizers move on), its device side runs at the first <see cref="Replay"/>. If the step
    /// cannot be captured the exception says why; the host state is then one step ahead of the
    /// device's, so the caller should stop rather than go on eagerly.
    /// </summary>
    public static CudaStepGraph Capture(Func<IReadOnlyList<Tensor>> step)
    {
        var backend = CudaBackend.Instance;
        backend.Synchronize();
        var capture = StepCapture.Begin(Device.Cuda);
        var pool = backend.Allocator.BeginCapturePool();
        IReadOnlyList<Tensor> outputs = [];
        Exception? failure = null;
        CUresult ended;
        CUgraph graph;
        backend.BeginCapture();
        try
        {
            using var scope = new TensorScope();
            outputs = step();
            foreach (var output in outputs) output.DetachFromScope();
        }
        catch (Exception e)
        {
            failure = e;
        }
        finally
        {
            ended = backend.EndCapture(out graph);
            backend.Allocator.EndCapturePool();
            capture.End();
        }

        failure ??= Failure(ended, "cuStreamEndCapture");
        CUgraphExec exec = default;
        if (failure is null) failure = Failure(Cuda.cuGraphInstantiateWithFlags(out exec, graph, CUgraphInstantiate_flags.None), "cuGraphInstantiateWithFlags");
        if (failure is not null)
        {
            if (graph.Handle != 0) Cuda.cuGraphDestroy(graph);
            foreach (var output in outputs) output.Dispose();
            capture.Dispose();
            backend.Allocator.ReleasePool(pool);
            throw new InvalidOperationException($"the training step could not be captured in a CUDA graph: {failure.Message}", failure);
        }
        return new CudaStepGraph(backend, capture, pool, graph, exec, outputs);
    }

    /// <summary>The exception Cuda.Check makes of a status (it names the call and the driver's words), or null.</summary>
    private static CudaException? Failure(CUresult status, string call)
    {
        try
        {
            Cuda.Check(status, call);
            return null;
        }
        catch (CudaException e)
        {
            return e;
        }
    }

    /// <summary>Queues one step: the recorded one at the first call, the next step at every later
    /// one. Returns without waiting; <see cref="Outputs"/> hold its results once the stream gets there.</summary>
    public void Replay()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _backend.Enter();
        _capture.BeforeReplay(first: !_replayed);
        _replayed = true;
        Cuda.Check(Cuda.cuGraphLaunch(_exec, _backend.Stream));
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _backend.Synchronize();
        Cuda.Check(Cuda.cuGraphExecDestroy(_exec));
        Cuda.Check(Cuda.cuGraphDestroy(_graph));
        foreach (var output in Outputs) output.Dispose();
        _capture.Dispose();
        _backend.Allocator.ReleasePool(_pool);
    }
}
