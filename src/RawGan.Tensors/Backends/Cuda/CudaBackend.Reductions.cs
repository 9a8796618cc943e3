namespace RawGan.Backends.Cuda;

// Inside the namespace so that "Cuda" names the driver bindings, not this namespace.
using RawGan.Backends.Cuda.Interop;
using RawGan.Backends.Cuda.Kernels;

// Sum over the middle of [outer, n, inner] (kernels/sum.cu).
public sealed partial class CudaBackend
{
    public void Sum(Tensor y, Tensor x, int outer, int n, int inner)
    {
        Enter();
        RequireContiguous("Sum", y);
        RequireContiguous("Sum", x);
        if ((long)outer * n * inner != x.NumEl || (long)outer * inner != y.NumEl)
            throw new ArgumentException($"Sum: [{outer}, {n}, {inner}] does not describe {x} into {y}");
        if (y.NumEl == 0) return;
        if (n == 0) ElementwiseKernels.LaunchFill(Kernels, Ptr(y), 0f, y.NumEl);
        else if (n == 1) CopyDeviceToDevice(Ptr(y), Ptr(x), y.NumEl);
        else SumKernels.Launch(Kernels, Allocator, Ptr(y), Ptr(x), outer, n, inner);
    }
}
