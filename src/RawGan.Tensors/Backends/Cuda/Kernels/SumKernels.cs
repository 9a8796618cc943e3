using RawGan.Backends.Cuda.Interop;

namespace RawGan.Backends.Cuda.Kernels;

/// <summary>
/// Launchers of kernels/sum.cu: y[outer, inner] = sum over n of x[outer, n, inner].
/// When outer * inner alone gives too few blocks to fill the GPU (a full sum, a bias gradient),
/// n is split into chunks whose partial sums a second launch of the same kernel adds up.
/// </summary>
public static class SumKernels
{
    public static readonly KernelRef RowsV1 = new("sum.cu", "sum_rows_f32_v1");
    public static readonly KernelRef Rows = new("sum.cu", "sum_rows_f32");
    public static readonly KernelRef Cols = new("sum.cu", "sum_cols_f32");

    /// <summary>Below this many elements per chunk (rows) or rows per chunk (columns, 32 wide
    /// per block) a split costs more than it saves.</summary>
    private const int MinRowChunk = 4096, MinColumnChunk = 64;

    /// <summary>Sums x into y; allocates and frees the partial-sum buffer when it splits.</summary>
    internal static void Launch(KernelLibrary lib, CudaAllocator allocator, CUdeviceptr y, CUdeviceptr x, int outer, int n, int inner)
    {
        long tasks = inner == 1 ? outer : (long)outer * ((inner + 31) / 32);
        long wanted = lib.Multiprocessors * 4L;
        int minChunk = inner == 1 ? MinRowChunk : MinColumnChunk;
        int splits = tasks >= wanted || n < 2 * minChunk
            ? 1
            : (int)Math.Min((wanted + tasks - 1) / tasks, n / minChunk);
        int chunk = splits == 1 ? n : (n + splits - 1) / splits;
        if (splits > 1) chunk = (chunk + 3) / 4 * 4; // keeps every chunk of an aligned row aligned for float4
        splits = (n + chunk - 1) / chunk;

        if (splits == 1)
        {
            LaunchOnce(lib, y, x, outer, n, inner, 1, n);
            return;
        }
        var partial = allocator.Allocate((long)splits * outer * inner * sizeof(float), lib.Stream);
        try
        {
            LaunchOnce(lib, partial.Pointer, x, outer, n, inner, splits, chunk);
            // The partials are [outer, splits] (inner == 1) or [splits, outer, inner]: both a plain sum.
            if (inner == 1) LaunchOnce(lib, y, partial.Pointer, outer, splits, 1, 1, splits);
            else LaunchOnce(lib, y, partial.Pointer, 1, splits, outer * inner, 1, splits);
        }
        finally
        {
            // Stream order makes an immediate return safe: later users of the block queue behind.
            allocator.Free(partial);
        }
    }

    private static void LaunchOnce(KernelLibrary lib, CUdeviceptr y, CUdeviceptr x, int outer, int n, int inner, int splits, int chunk)
    {
        if (inner == 1)
        {
            long tasks = (long)outer * splits;
            var grid = new Dim3((uint)Math.Min(tasks, 65535L * 32));
            // About 4 elements per thread (one float4), in whole warps: short rows get one warp
            // per row instead of a mostly idle block of 256.
            int threads = (int)Math.Clamp(((long)Math.Min(n, chunk) / 4 + 31) / 32 * 32, 32, KernelLibrary.BlockSize);
            lib.Launch(Rows, grid, new Dim3((uint)threads), y, x, outer, n, splits, chunk);
        }
        else
        {
            long tasks = (long)outer * ((inner + 31) / 32) * splits;
            var grid = new Dim3((uint)Math.Min(tasks, 65535L * 32));
            lib.Launch(Cols, grid, new Dim3(32, 8), y, x, outer, n, inner, splits, chunk);
        }
    }
}
