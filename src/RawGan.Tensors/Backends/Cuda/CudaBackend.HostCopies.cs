namespace RawGan.Backends.Cuda;

// Inside the namespace so that "Cuda" names the driver bindings, not this namespace.
using System.Numerics;
using RawGan.Backends.Cuda.Interop;
using RawGan.Backends.Cuda.Kernels;

// Copies between host and device memory. Uploads go through two pinned staging buffers used in turn,
// so queuing one never waits for the stream to reach it; a buffer is rewritten once its own previous
// copy is done (its event), which with two in turn is the upload before last. Reads started with
// StartCopyToHost land in pinned buffers kept for reuse; each read waits for its own event only.
public sealed partial class CudaBackend
{
    /// <summary>Uploads larger than this (no batch or parameter comes near) are copied from pageable
    /// memory rather than pin twice that much host memory for good.</summary>
    private const long StagedUploadLimit = 64L << 20;

    private readonly Lock _hostCopies = new();
    private readonly PinnedBuffer?[] _staging = new PinnedBuffer?[2];
    private int _nextStaging;
    private readonly List<PinnedBuffer> _idleReadBuffers = [];

    private int _pinnedAllocations;

    /// <summary>cuMemAllocHost calls so far: flat once a training loop has warmed up (tests check reuse).</summary>
    internal int PinnedAllocations => Volatile.Read(ref _pinnedAllocations);

    /// <summary>Returns once src is copied to pinned memory (src may then be reused); the transfer to the
    /// device is queued on the stream after earlier work.</summary>
    public void CopyFromHost(Tensor dst, ReadOnlySpan<byte> src)
    {
        Enter();
        NotWhileCapturing("a copy from host memory");
        RequireContiguous("CopyFromHost", dst);
        CheckBytes("CopyFromHost", dst, src.Length);
        Upload(Ptr(dst), src);
    }

    /// <summary>As <see cref="CopyFromHost"/>, but only the bytes cross the bus, a quarter of the
    /// floats: kernels/uint8.cu widens them on the device from a scratch block.</summary>
    public void CopyFromHostUInt8(Tensor dst, ReadOnlySpan<byte> src, ReadOnlySpan<float> values)
    {
        Enter();
        NotWhileCapturing("a copy from host memory");
        UInt8Upload.Check(dst, src.Length, values.Length);
        if (src.Length == 0) return;
        // Freed at once: the allocator hands the block out again only to work queued after the kernel.
        var bytes = Allocator.Allocate(src.Length, Stream);
        try
        {
            Upload(bytes.Pointer, src);
            UInt8Kernels.LaunchToFloat(Kernels, Ptr(dst), bytes.Pointer, src.Length, values);
        }
        finally
        {
            Allocator.Free(bytes);
        }
    }

    /// <summary>Queues the copy of src to device memory at dst, staged through pinned memory when small enough.</summary>
    private unsafe void Upload(CUdeviceptr dst, ReadOnlySpan<byte> src)
    {
        if (src.Length == 0) return;
        if (src.Length > StagedUploadLimit)
        {
            // The driver stages pageable bytes itself before returning.
            using var timed = Profiler.Time("copy host to device");
            fixed (byte* p = src) Cuda.Check(Cuda.cuMemcpyHtoDAsync_v2(dst, p, (nuint)src.Length, Stream));
            return;
        }
        lock (_hostCopies)
        {
            var buffer = NextStagingBuffer(src.Length);
            src.CopyTo(buffer.Bytes(src.Length));
            using (Profiler.Time("copy host to device"))
                Cuda.Check(Cuda.cuMemcpyHtoDAsync_v2(dst, buffer.Pointer, (nuint)src.Length, Stream));
            buffer.RecordCopy(Stream);
        }
    }

    /// <summary>The staging buffer the previous upload did not use, its own last copy done, grown if too small.</summary>
    private PinnedBuffer NextStagingBuffer(int bytes)
    {
        int i = _nextStaging;
        _nextStaging ^= 1;
        var buffer = _staging[i];
        if (buffer is not null && buffer.Capacity >= bytes)
        {
            buffer.WaitForCopy();
            return buffer;
        }
        buffer?.Dispose();
        _staging[i] = null; // not left holding a freed buffer if pinning the new one fails
        return _staging[i] = NewPinnedBuffer(bytes);
    }

    public unsafe void CopyToHost(Tensor src, Span<byte> dst)
    {
        Enter();
        NotWhileCapturing("reading a tensor back to the host");
        RequireContiguous("CopyToHost", src);
        CheckBytes("CopyToHost", src, dst.Length);
        if (dst.Length == 0) return;
        fixed (byte* p = dst)
        {
            using (Profiler.Time("copy device to host"))
                Cuda.Check(Cuda.cuMemcpyDtoHAsync_v2(p, Ptr(src), (nuint)dst.Length, Stream));
            Cuda.Check(Cuda.cuStreamSynchronize(Stream));
        }
    }

    public unsafe PendingRead StartCopyToHost(Tensor src)
    {
        Enter();
        NotWhileCapturing("reading a tensor back to the host");
        RequireContiguous("StartCopyToHost", src);
        int bytes = checked(src.NumEl * sizeof(float));
        var buffer = RentReadBuffer(bytes);
        try
        {
            if (bytes > 0)
                using (Profiler.Time("copy device to host"))
                    Cuda.Check(Cuda.cuMemcpyDtoHAsync_v2(buffer.Pointer, Ptr(src), (nuint)bytes, Stream));
            buffer.RecordCopy(Stream);
        }
        catch
        {
            ReturnReadBuffer(buffer);
            throw;
        }
        return new CudaPendingRead(this, buffer, src.NumEl);
    }

    /// <summary>An idle read buffer big enough, its last copy done (a read given up without waiting
    /// may still be landing in it), or a new one.</summary>
    private PinnedBuffer RentReadBuffer(int bytes)
    {
        PinnedBuffer? buffer;
        lock (_hostCopies)
        {
            buffer = _idleReadBuffers.Find(b => b.Capacity >= bytes);
            if (buffer is not null) _idleReadBuffers.Remove(buffer);
        }
        if (buffer is null) return NewPinnedBuffer(bytes);
        buffer.WaitForCopy();
        return buffer;
    }

    private void ReturnReadBuffer(PinnedBuffer buffer)
    {
        lock (_hostCopies) _idleReadBuffers.Add(buffer);
    }

    /// <summary>Whole pages at least, and powers of two, so a slowly growing size pins anew only a few times.</summary>
    private PinnedBuffer NewPinnedBuffer(int bytes)
    {
        var buffer = new PinnedBuffer((long)BitOperations.RoundUpToPowerOf2((ulong)Math.Max(bytes, 4096)));
        Interlocked.Increment(ref _pinnedAllocations);
        return buffer;
    }

    /// <summary>Frees the staging buffers and the idle read buffers (EmptyCache); reads still pending
    /// return theirs to the pool later.</summary>
    private void ReleasePinnedBuffers()
    {
        lock (_hostCopies)
        {
            foreach (var buffer in _staging) buffer?.Dispose();
            Array.Clear(_staging);
            foreach (var buffer in _idleReadBuffers) buffer.Dispose();
            _idleReadBuffers.Clear();
        }
    }

    /// <summary>A read into a pinned buffer; its event marks the copy's end on the stream.</summary>
    private sealed class CudaPendingRead(CudaBackend backend, PinnedBuffer buffer, int count) : PendingRead(DType.Float32, count)
    {
        protected override ReadOnlySpan<byte> WaitForBytes()
        {
            backend.Enter();
            backend.NotWhileCapturing("waiting for a read-back");
            buffer.WaitForCopy();
            return buffer.Bytes(Count * sizeof(float));
        }

        protected override void Release() => backend.ReturnReadBuffer(buffer);
    }
}
