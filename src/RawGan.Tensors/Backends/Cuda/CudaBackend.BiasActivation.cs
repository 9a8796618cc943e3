using RawGan.Backends.Cuda.Kernels;

namespace RawGan.Backends.Cuda;

// A convolution's bias add fused with the activation after it (kernels/bias_activation.cu). cuDNN's
// cudnnConvolutionBiasActivationForward offers relu only, and no backward.
public sealed partial class CudaBackend
{
    public void BiasActivationForward(Tensor y, Tensor x, Tensor bias, FusedActivation act, double parameter)
    {
        Enter();
        var g = BiasActivationSplits("BiasActivationForward", x, bias, y);
        if (x.NumEl == 0) return;
        BiasActivationKernels.LaunchForward(Kernels, g, Ptr(y), Ptr(x), Ptr(bias), new(act, (float)parameter));
    }

    public void BiasActivationBackward(Tensor dx, Tensor dBias, Tensor dy, Tensor x, Tensor bias, FusedActivation act, double parameter)
    {
        Enter();
        var g = BiasActivationSplits("BiasActivationBackward", x, bias, dx, dy);
        CheckChannels("BiasActivationBackward", x, dBias);
        if (x.NumEl == 0) return;
        BiasActivationKernels.LaunchBackward(Kernels, Allocator, g, Ptr(dx), Ptr(dBias), Ptr(dy), Ptr(x), Ptr(bias), new(act, (float)parameter));
    }

    private ChannelSplits BiasActivationSplits(string op, Tensor x, Tensor bias, params Tensor[] sameShape)
    {
        CheckBatchNormShapes(op, x, sameShape);
        CheckChannels(op, x, bias);
        return ChannelSplits.Plan(Kernels, x.Shape[0], x.Shape[1], x.Shape[2] * x.Shape[3]);
    }
}
