using RawGan.Backends.Cuda.Kernels;

namespace RawGan.Backends.Cuda;

// A convolution's bias add fused with the activation after it (kernels/bias_activation.cu). cuDNN's
// cudnnConvolutionBiasActivationForward offers relu only, and no backward.
public sealed partial class CudaBackend
{
    public void BiasActivationForward(Tensor y, Tensor x, Tensor bias, FusedActivation act, double parameter)
    {
        Enter();
        var g = PerChannelSplits("BiasActivationForward", x, y);
        CheckChannels("BiasActivationForward", x, bias);
        if (x.NumEl == 0) return;
        BiasActivationKernels.LaunchForward(Kernels, g, Ptr(y), Ptr(x), Ptr(bias), new(act, (float)parameter));
    }

    public void BiasActivationBackward(Tensor dx, Tensor dBias, Tensor dy, Tensor x, Tensor bias, FusedActivation act, double parameter)
    {
        Enter();
        var g = PerChannelSplits("BiasActivationBackward", x, dx, dy);
        CheckChannels("BiasActivationBackward", x, bias, dBias);
        if (x.NumEl == 0) return;
        BiasActivationKernels.LaunchBackward(Kernels, Allocator, g, Ptr(dx), Ptr(dBias), Ptr(dy), Ptr(x), Ptr(bias), new(act, (float)parameter));
    }
}
