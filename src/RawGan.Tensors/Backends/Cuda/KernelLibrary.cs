namespace RawGan.Backends.Cuda;

// Inside the namespace so that "Cuda" names the driver bindings, not this namespace.
using RawGan.Backends.Cuda.Interop;

/// <summary>One <c>extern "C" __global__</c> function of one kernels/*.cu file.</summary>
public sealed record KernelRef(string File, string Name)
{
    public override string ToString() => $"{File}:{Name}";
}

/// <summary>Grid or block dimensions of a launch.</summary>
public readonly record struct Dim3(uint X, uint Y = 1, uint Z = 1);

/// <summary>
/// Loaded modules and function handles (one module per kernel file, loaded at first use), and
/// cuLaunchKernel with typed arguments. Each Launch overload passes cuLaunchKernel one pointer per
/// argument, pointing at that argument's value; the caller passes each value with the exact type
/// of the kernel's parameter: CUdeviceptr (8 bytes) for a pointer, int, float, double, ulong
/// (unsigned long long), or a blittable struct that mirrors the kernel's by-value struct.
/// </summary>
public sealed unsafe class KernelLibrary
{
    /// <summary>Threads per block of the elementwise kernels.</summary>
    public const int BlockSize = 256;

    private readonly KernelCompiler _compiler;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, CUmodule> _modules = [];
    private readonly Dictionary<KernelRef, CUfunction> _functions = [];
    private readonly CudaProfiler _profiler;

    internal KernelLibrary(KernelCompiler compiler, CUstream stream, int multiprocessors, CudaProfiler profiler)
    {
        _compiler = compiler;
        Stream = stream;
        Multiprocessors = multiprocessors;
        _profiler = profiler;
    }

    public CUstream Stream { get; }
    public int Multiprocessors { get; }
    public string Target => _compiler.Describe();
    public string? CacheDirectory => _compiler.CacheDirectory;

    /// <summary>A grid-stride grid for <paramref name="work"/> items of one thread each: enough
    /// blocks to fill every SM (8 resident blocks of 256 threads each), no more.</summary>
    public Dim3 GridFor(long work) => new((uint)Math.Clamp((work + BlockSize - 1) / BlockSize, 1, Multiprocessors * 8L));

    /// <summary>The grid of a pointwise kernel that handles 4 elements per thread (float4).</summary>
    public Dim3 GridForVectorized(long elements) => GridFor((elements + 3) / 4);

    /// <summary>Resolves (and on first use compiles and loads) a kernel; the context must be current.</summary>
    public CUfunction Function(KernelRef kernel)
    {
        lock (_gate)
        {
            if (_functions.TryGetValue(kernel, out var function)) return function;
            if (!_modules.TryGetValue(kernel.File, out var module))
            {
                var image = _compiler.Image(kernel.File);
                fixed (byte* p = image) Cuda.Check(Cuda.cuModuleLoadData(out module, p));
                _modules[kernel.File] = module;
            }
            Cuda.Check(Cuda.cuModuleGetFunction(out function, module, kernel.Name));
            _functions[kernel] = function;
            return function;
        }
    }

    private void Launch(KernelRef kernel, Dim3 grid, Dim3 block, void** args, uint sharedBytes = 0)
    {
        var function = Function(kernel);
        using var timed = _profiler.Time(kernel.Name);
        var status = Cuda.cuLaunchKernel(function, grid.X, grid.Y, grid.Z, block.X, block.Y, block.Z, sharedBytes, Stream, args, null);
        if (status == CUresult.CUDA_SUCCESS) return;
        try
        {
            Cuda.Check(status, "cuLaunchKernel");
        }
        catch (CudaException e)
        {
            // Name the kernel and its geometry: a launch error is about this launch.
            throw new CudaException(e.Library, $"cuLaunchKernel of {kernel} (grid {grid}, block {block})", e.Status, e.StatusName, e.Message);
        }
    }

    public void Launch<T0, T1>(KernelRef k, Dim3 grid, Dim3 block, T0 a0, T1 a1)
        where T0 : unmanaged where T1 : unmanaged
    {
        void** p = stackalloc void*[2];
        p[0] = &a0; p[1] = &a1;
        Launch(k, grid, block, p);
    }

    public void Launch<T0, T1, T2>(KernelRef k, Dim3 grid, Dim3 block, T0 a0, T1 a1, T2 a2)
        where T0 : unmanaged where T1 : unmanaged where T2 : unmanaged
    {
        void** p = stackalloc void*[3];
        p[0] = &a0; p[1] = &a1; p[2] = &a2;
        Launch(k, grid, block, p);
    }

    public void Launch<T0, T1, T2, T3>(KernelRef k, Dim3 grid, Dim3 block, T0 a0, T1 a1, T2 a2, T3 a3)
        where T0 : unmanaged where T1 : unmanaged where T2 : unmanaged where T3 : unmanaged
    {
        void** p = stackalloc void*[4];
        p[0] = &a0; p[1] = &a1; p[2] = &a2; p[3] = &a3;
        Launch(k, grid, block, p);
    }

    public void Launch<T0, T1, T2, T3, T4>(KernelRef k, Dim3 grid, Dim3 block, T0 a0, T1 a1, T2 a2, T3 a3, T4 a4)
        where T0 : unmanaged where T1 : unmanaged where T2 : unmanaged where T3 : unmanaged where T4 : unmanaged
    {
        void** p = stackalloc void*[5];
        p[0] = &a0; p[1] = &a1; p[2] = &a2; p[3] = &a3; p[4] = &a4;
        Launch(k, grid, block, p);
    }

    public void Launch<T0, T1, T2, T3, T4, T5>(KernelRef k, Dim3 grid, Dim3 block, T0 a0, T1 a1, T2 a2, T3 a3, T4 a4, T5 a5)
        where T0 : unmanaged where T1 : unmanaged where T2 : unmanaged where T3 : unmanaged where T4 : unmanaged where T5 : unmanaged
    {
        void** p = stackalloc void*[6];
        p[0] = &a0; p[1] = &a1; p[2] = &a2; p[3] = &a3; p[4] = &a4; p[5] = &a5;
        Launch(k, grid, block, p);
    }

    public void Launch<T0, T1, T2, T3, T4, T5, T6>(KernelRef k, Dim3 grid, Dim3 block, T0 a0, T1 a1, T2 a2, T3 a3, T4 a4, T5 a5, T6 a6)
        where T0 : unmanaged where T1 : unmanaged where T2 : unmanaged where T3 : unmanaged where T4 : unmanaged where T5 : unmanaged
        where T6 : unmanaged
    {
        void** p = stackalloc void*[7];
        p[0] = &a0; p[1] = &a1; p[2] = &a2; p[3] = &a3; p[4] = &a4; p[5] = &a5; p[6] = &a6;
        Launch(k, grid, block, p);
    }

    public void Launch<T0, T1, T2, T3, T4, T5, T6, T7, T8>(KernelRef k, Dim3 grid, Dim3 block,
        T0 a0, T1 a1, T2 a2, T3 a3, T4 a4, T5 a5, T6 a6, T7 a7, T8 a8)
        where T0 : unmanaged where T1 : unmanaged where T2 : unmanaged where T3 : unmanaged where T4 : unmanaged where T5 : unmanaged
        where T6 : unmanaged where T7 : unmanaged where T8 : unmanaged
    {
        void** p = stackalloc void*[9];
        p[0] = &a0; p[1] = &a1; p[2] = &a2; p[3] = &a3; p[4] = &a4; p[5] = &a5; p[6] = &a6; p[7] = &a7; p[8] = &a8;
        Launch(k, grid, block, p);
    }

    public void Launch<T0, T1, T2, T3, T4, T5, T6, T7, T8, T9, T10, T11>(KernelRef k, Dim3 grid, Dim3 block,
        T0 a0, T1 a1, T2 a2, T3 a3, T4 a4, T5 a5, T6 a6, T7 a7, T8 a8, T9 a9, T10 a10, T11 a11)
        where T0 : unmanaged where T1 : unmanaged where T2 : unmanaged where T3 : unmanaged where T4 : unmanaged where T5 : unmanaged
        where T6 : unmanaged where T7 : unmanaged where T8 : unmanaged where T9 : unmanaged where T10 : unmanaged where T11 : unmanaged
    {
        void** p = stackalloc void*[12];
        p[0] = &a0; p[1] = &a1; p[2] = &a2; p[3] = &a3; p[4] = &a4; p[5] = &a5; p[6] = &a6; p[7] = &a7; p[8] = &a8; p[9] = &a9; p[10] = &a10; p[11] = &a11;
        Launch(k, grid, block, p);
    }
}
