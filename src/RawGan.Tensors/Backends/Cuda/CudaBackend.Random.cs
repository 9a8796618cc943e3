using RawGan.Backends.Cuda.Kernels;

namespace RawGan.Backends.Cuda;

// Philox draws (kernels/random.cu): the same streams as the CPU backend, element for element.
public sealed partial class CudaBackend
{
    public void RandomUniform(Tensor y, ulong seed, ulong offset, double low, double high, Tensor? offsetBase = null)
    {
        Enter();
        RequireContiguous("RandomUniform", y);
        if (y.NumEl > 0) RandomKernels.LaunchUniform(Kernels, Ptr(y), seed, PtrOrNull(offsetBase), offset, low, high, y.NumEl);
    }

    public void RandomNormal(Tensor y, ulong seed, ulong offset, double mean, double std, Tensor? offsetBase = null)
    {
        Enter();
        RequireContiguous("RandomNormal", y);
        if (y.NumEl > 0) RandomKernels.LaunchNormal(Kernels, Ptr(y), seed, PtrOrNull(offsetBase), offset, mean, std, y.NumEl);
    }

    public void DropoutMask(Tensor mask, ulong seed, ulong offset, double p, Tensor? offsetBase = null)
    {
        Enter();
        RequireContiguous("DropoutMask", mask);
        if (mask.NumEl > 0) RandomKernels.LaunchDropoutMask(Kernels, Ptr(mask), seed, PtrOrNull(offsetBase), offset, p, mask.NumEl);
    }
}
