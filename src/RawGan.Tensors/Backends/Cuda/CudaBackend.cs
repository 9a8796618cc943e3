namespace RawGan.Backends.Cuda;

// Inside the namespace so that "Cuda" names the driver bindings, not this namespace.
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using RawGan.Backends.Cuda.Interop;
using RawGan.Backends.Cuda.Kernels;

/// <summary>
/// The GPU backend: device 0, its primary context (the one cuBLAS and cuDNN share), one stream
/// for all work, float32 only. Kernels come from kernels/*.cu through NVRTC (<see cref="KernelLibrary"/>),
/// matrix products from cuBLAS, convolutions and batch norm from cuDNN, memory from a caching
/// allocator (<see cref="CudaAllocator"/>). The op families live in the partial files beside this.
///
/// Every call is asynchronous on the stream except <see cref="CopyToHost"/> (which waits) and
/// <see cref="Synchronize"/>; <see cref="StartCopyToHost"/> queues a read the host waits for later
/// (CudaBackend.HostCopies.cs). Nothing in a training step waits for the GPU, so steps can be
/// captured in CUDA graphs.
/// </summary>
public sealed partial class CudaBackend : IBackend
{
    // The context is current per thread; a thread sets it at its first call into the backend.
    [ThreadStatic] private static bool _contextCurrent;

    private readonly CUcontext _context;

    private CudaBackend(CudaDeviceInfo device)
    {
        Info = device;
        Cuda.Check(Cuda.cuDeviceGet(out var handle, device.Ordinal));
        Cuda.Check(Cuda.cuDevicePrimaryCtxRetain(out _context, handle));
        Enter();
        Cuda.Check(Cuda.cuStreamCreate(out var stream, CUstream_flags.CU_STREAM_NON_BLOCKING));
        Stream = stream;
        Allocator = new CudaAllocator();
        Profiler = new CudaProfiler(stream);
        Kernels = new KernelLibrary(new KernelCompiler(device.ComputeMajor, device.ComputeMinor), stream, device.Multiprocessors, Profiler);
    }

    /// <summary>The backend of <see cref="Device.Cuda"/>, created on first use.</summary>
    public static CudaBackend Instance => (CudaBackend)BackendRegistry.Get(Device.Cuda);

    public Device Device => Device.Cuda;
    public CudaDeviceInfo Info { get; }
    public CUstream Stream { get; }
    public CudaAllocator Allocator { get; }
    public KernelLibrary Kernels { get; }

    /// <summary>GPU time per kernel and library call while a profile runs (`rawgan bench train --profile`).</summary>
    public CudaProfiler Profiler { get; }

    /// <summary>The registry's factory: a probe first, so a machine without a GPU or library gets
    /// one clear message naming what is missing instead of a DllNotFoundException.</summary>
    internal static CudaBackend Create()
    {
        var report = CudaProbe.Run();
        var problems = new List<string>();
        if (!report.GpuAvailable) problems.Add($"no GPU ({report.GpuProblem})");
        // Without a GPU the libraries do not matter; `rawgan doctor` lists them all.
        var libraries = report.GpuAvailable ? new[] { report.Driver, report.Nvrtc, report.Cublas, report.Cudnn } : [report.Driver];
        foreach (var library in libraries)
            if (!library.Available)
                problems.Add($"{library.Name}: {FirstClause(library.Problem!)}{(library.Hint is null ? "" : $" (to fix: {library.Hint})")}");
        if (problems.Count > 0)
            throw new CudaUnavailableException($"the CUDA backend is unavailable: {string.Join("; ", problems)}. `rawgan doctor` shows the details",
                summary: problems[0]);
        return new CudaBackend(report.Devices[0]);
    }

    /// <summary>A probe's problem up to its parenthesised list of every path tried (doctor prints that).</summary>
    private static string FirstClause(string problem)
    {
        int open = problem.IndexOf(" (", StringComparison.Ordinal);
        return open > 0 ? problem[..open] : problem;
    }

    /// <summary>Makes the backend's context current on the calling thread (once per thread).</summary>
    internal void Enter()
    {
        if (_contextCurrent) return;
        Cuda.Check(Cuda.cuCtxSetCurrent(_context));
        _contextCurrent = true;
    }

    /// <summary>The device address of a tensor's first element.</summary>
    internal static CUdeviceptr Ptr(Tensor t) => t.Storage is CudaStorage s
        ? s.Pointer.Offset((long)t.Offset * sizeof(float))
        : throw new ArgumentException($"{t} is not a CUDA tensor; move it with .To(Device.Cuda) first");

    /// <summary>The address of an optional tensor (running statistics, a momentum buffer, a captured
    /// step's cell), or the null pointer that tells a kernel there is none.</summary>
    private static CUdeviceptr PtrOrNull(Tensor? t) => t is null ? CUdeviceptr.Null : Ptr(t);

    // ---- memory ----

    public Storage Allocate(DType dtype, int count)
    {
        if (dtype != DType.Float32)
            throw new NotSupportedException(
                $"the CUDA backend stores float32 only: cannot allocate a {dtype.Name()} tensor of {count} elements (convert with .To(DType.Float32) on the CPU first)");
        Enter();
        return new CudaStorage(this, Allocator, count);
    }

    /// <summary>Returns every cached, unused block to the driver (PyTorch's empty_cache), and the idle pinned
    /// host buffers of the host copies.</summary>
    public void EmptyCache()
    {
        Enter();
        NotWhileCapturing("EmptyCache");
        Allocator.EmptyCache();
        ReleasePinnedBuffers();
    }

    public void Fill(Tensor dst, double value)
    {
        Enter();
        RequireContiguous("Fill", dst);
        if (dst.NumEl == 0) return;
        ElementwiseKernels.LaunchFill(Kernels, Ptr(dst), (float)value, dst.NumEl);
    }

    public void Copy(Tensor dst, Tensor src)
    {
        Enter();
        if (!dst.Shape.AsSpan().SequenceEqual(src.Shape))
            throw new ArgumentException($"Copy: shapes {RawGan.Shape.Format(src.Shape)} and {RawGan.Shape.Format(dst.Shape)} differ");
        if (dst.NumEl == 0) return;
        if (dst.IsContiguous && src.IsContiguous)
            CopyDeviceToDevice(Ptr(dst), Ptr(src), dst.NumEl);
        else
            ElementwiseKernels.LaunchCopyStrided(Kernels, Ptr(dst), Ptr(src), StridedIndex.For(dst, src), dst.NumEl);
    }

    /// <summary>Queues a copy of <paramref name="count"/> floats between device buffers.</summary>
    private void CopyDeviceToDevice(CUdeviceptr dst, CUdeviceptr src, int count)
    {
        using var timed = Profiler.Time("copy device to device");
        Cuda.Check(Cuda.cuMemcpyDtoDAsync_v2(dst, src, (nuint)((long)count * sizeof(float)), Stream));
    }

    public void Cast(Tensor dst, Tensor src)
    {
        if (dst.DType != DType.Float32 || src.DType != DType.Float32)
            throw new NotSupportedException($"Cast: the CUDA backend stores float32 only ({src.DType.Name()} to {dst.DType.Name()})");
        Copy(dst, src);
    }

    public void Synchronize()
    {
        Enter();
        NotWhileCapturing("Synchronize");
        Cuda.Check(Cuda.cuStreamSynchronize(Stream));
    }

    // ---- graph capture (CudaStepGraph) ----

    private bool _capturing;

    /// <summary>Starts recording the stream's work into a graph instead of running it.</summary>
    internal void BeginCapture()
    {
        Enter();
        if (_capturing) throw new InvalidOperationException("a CUDA graph capture is already under way");
        if (Profiler.Active) throw new InvalidOperationException("a CUDA graph cannot be captured while a profile runs: its replays would be one unit of work, not kernels");
        // Relaxed: the caching allocator may still call cuMemAlloc for a block the capture needs.
        Cuda.Check(Cuda.cuStreamBeginCapture_v2(Stream, CUstreamCaptureMode.CU_STREAM_CAPTURE_MODE_RELAXED));
        _capturing = true;
    }

    /// <summary>Ends the recording; the status is returned, not thrown, so a failed step's own error can be reported first.</summary>
    internal CUresult EndCapture(out CUgraph graph)
    {
        _capturing = false;
        return Cuda.cuStreamEndCapture(Stream, out graph);
    }

    /// <summary>Host copies and waits cannot be recorded in a graph: say which and why, instead of the driver's
    /// CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED, which would also invalidate the capture.</summary>
    private void NotWhileCapturing(string what)
    {
        if (_capturing)
            throw new InvalidOperationException(
                $"{what} cannot run while a training step is captured in a CUDA graph: a captured step queues device work only (metrics are read after it)");
    }

    /// <summary>Laid out as a flat array. An empty tensor counts as dense, whatever its strides
    /// (Tensor.IsContiguous says no for some shapes with a 0).</summary>
    private static bool Dense(Tensor t) => t.NumEl == 0 || t.IsContiguous;

    private static void RequireContiguous(string op, Tensor t)
    {
        if (!Dense(t)) throw new ArgumentException($"{op}: {t} must be contiguous");
    }

    private static void CheckBytes(string op, Tensor t, int bytes)
    {
        if (bytes != (long)t.NumEl * sizeof(float))
            throw new ArgumentException($"{op}: {bytes} bytes for {t} of {t.NumEl} float32 elements");
    }
}

/// <summary>Registers the CUDA factory when RawGan.Tensors loads, so Device.Cuda works without setup code.</summary>
internal static class CudaRegistration
{
    [ModuleInitializer]
    [SuppressMessage("Usage", "CA2255", Justification = "The backend registry must know the CUDA factory before any user code asks for Device.Cuda; the factory itself does nothing until then.")]
    internal static void Register() => BackendRegistry.RegisterFactory(DeviceType.Cuda, CudaBackend.Create);
}
