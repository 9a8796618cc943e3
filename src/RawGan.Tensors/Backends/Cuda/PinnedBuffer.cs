namespace RawGan.Backends.Cuda;

// Inside the namespace so that "Cuda" names the driver bindings, not this namespace.
using RawGan.Backends.Cuda.Interop;

/// <summary>
/// Page-locked host memory (cuMemAllocHost) and an event that marks the end of the last copy queued
/// to or from it. The copy engine reads and writes pinned memory directly, so cuMemcpy*Async on it
/// only queues the copy; from pageable memory the driver stages the bytes itself and the call may
/// hold the host until the stream reaches the copy. Before the host touches the buffer again it waits
/// for that event: for this buffer's own last copy, not for the rest of the stream.
/// Pinning is slow (the pages are mapped for the device), so the backend keeps and reuses these.
/// </summary>
internal sealed unsafe class PinnedBuffer : IDisposable
{
    private readonly CUevent _copied;
    private bool _disposed;

    /// <summary>The context must be current.</summary>
    public PinnedBuffer(long bytes)
    {
        Cuda.Check(Cuda.cuMemAllocHost_v2(out var memory, (nuint)bytes));
        // Without timing, recording and waiting on the event is cheaper.
        var created = Cuda.cuEventCreate(out _copied, CUevent_flags.CU_EVENT_DISABLE_TIMING);
        if (created != CUresult.CUDA_SUCCESS) Cuda.cuMemFreeHost(memory);
        Cuda.Check(created, "cuEventCreate");
        Pointer = (byte*)memory;
        Capacity = bytes;
    }

    public byte* Pointer { get; }
    public long Capacity { get; }

    public Span<byte> Bytes(int length) => new(Pointer, length);

    /// <summary>Marks the copy just queued on <paramref name="stream"/> as this buffer's last.</summary>
    public void RecordCopy(CUstream stream) => Cuda.Check(Cuda.cuEventRecord(_copied, stream));

    /// <summary>Waits until the last recorded copy has finished; returns at once if none was recorded.</summary>
    public void WaitForCopy() => Cuda.Check(Cuda.cuEventSynchronize(_copied));

    /// <summary>Frees the memory once its last copy is done; the context must be current.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        WaitForCopy();
        Cuda.Check(Cuda.cuEventDestroy_v2(_copied));
        Cuda.Check(Cuda.cuMemFreeHost(Pointer));
    }
}
