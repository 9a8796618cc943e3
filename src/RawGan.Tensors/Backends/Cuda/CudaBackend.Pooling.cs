using RawGan.Backends.Cuda.Kernels;

namespace RawGan.Backends.Cuda;

// Pooling and nearest upsampling on NCHW (kernels/max_pool2d.cu, avg_pool2d.cu, upsample_nearest.cu).
public sealed partial class CudaBackend
{
    public void UpsampleNearestForward(Tensor y, Tensor x, int scale)
    {
        Enter();
        CheckSpatial("UpsampleNearestForward", y, x);
        if (y.NumEl > 0) PoolingKernels.LaunchUpsampleForward(Kernels, Ptr(y), Ptr(x), x.Shape[0] * x.Shape[1], x.Shape[2], x.Shape[3], scale);
    }

    public void UpsampleNearestBackward(Tensor dx, Tensor dy, int scale)
    {
        Enter();
        CheckSpatial("UpsampleNearestBackward", dx, dy);
        if (dx.NumEl > 0) PoolingKernels.LaunchUpsampleBackward(Kernels, Ptr(dx), Ptr(dy), dx.Shape[0] * dx.Shape[1], dx.Shape[2], dx.Shape[3], scale);
    }

    public void MaxPool2dForward(Tensor y, Tensor x, Pool2dArgs args)
    {
        Enter();
        CheckSpatial("MaxPool2dForward", y, x);
        if (y.NumEl > 0) PoolingKernels.LaunchMaxForward(Kernels, Ptr(y), Ptr(x), Pool2dGeometry.Of(x, y, args));
    }

    public void MaxPool2dBackward(Tensor dx, Tensor dy, Tensor x, Pool2dArgs args)
    {
        Enter();
        CheckSpatial("MaxPool2dBackward", dx, dy, x);
        if (dx.NumEl > 0) PoolingKernels.LaunchMaxBackward(Kernels, Ptr(dx), Ptr(dy), Ptr(x), Pool2dGeometry.Of(x, dy, args));
    }

    public void AvgPool2dForward(Tensor y, Tensor x, Pool2dArgs args)
    {
        Enter();
        CheckSpatial("AvgPool2dForward", y, x);
        if (y.NumEl > 0) PoolingKernels.LaunchAvgForward(Kernels, Ptr(y), Ptr(x), Pool2dGeometry.Of(x, y, args));
    }

    public void AvgPool2dBackward(Tensor dx, Tensor dy, Pool2dArgs args)
    {
        Enter();
        CheckSpatial("AvgPool2dBackward", dx, dy);
        if (dx.NumEl > 0) PoolingKernels.LaunchAvgBackward(Kernels, Ptr(dx), Ptr(dy), Pool2dGeometry.Of(dx, dy, args));
    }

    private static void CheckSpatial(string op, params Tensor[] tensors)
    {
        foreach (var t in tensors)
        {
            if (t.Rank != 4) throw new ArgumentException($"{op}: {t} must be NCHW");
            if (!Dense(t)) throw new ArgumentException($"{op}: {t} must be contiguous");
        }
    }
}
