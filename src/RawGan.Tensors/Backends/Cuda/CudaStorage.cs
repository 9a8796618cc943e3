using RawGan.Backends.Cuda.Interop;

namespace RawGan.Backends.Cuda;

/// <summary>
/// Float32 elements in device memory, a block of the backend's <see cref="CudaAllocator"/>.
/// Freeing returns the block to the allocator's cache. The finalizer is only a backstop for a
/// tensor that was never disposed (TensorScope is the normal path): it returns the block the same
/// thread-safe way, without calling CUDA from the finalizer thread.
/// </summary>
public sealed class CudaStorage : Storage
{
    private readonly CudaAllocator _allocator;
    private readonly CudaAllocator.Block _block;
    private int _returned;

    internal CudaStorage(CudaBackend backend, CudaAllocator allocator, int count)
        : base(backend, DType.Float32, count)
    {
        _allocator = allocator;
        _block = allocator.Allocate(Bytes, backend.Stream);
    }

    ~CudaStorage() => Return();

    /// <summary>The device address of element 0.</summary>
    public CUdeviceptr Pointer => _block.Pointer;

    protected override void Free()
    {
        Return();
        GC.SuppressFinalize(this);
    }

    private void Return()
    {
        if (Interlocked.Exchange(ref _returned, 1) == 0) _allocator.Free(_block);
    }
}
