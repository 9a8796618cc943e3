namespace RawGan.Backends.Cuda.Kernels;

/// <summary>The kernels of kernels/relu.cu, leaky_relu.cu, elu.cu, tanh.cu, sigmoid.cu and
/// softplus.cu. All are pointwise: forwards launch with ElementwiseKernels.LaunchMap (y, x),
/// backwards with LaunchZip (dx, dy, x or y); leaky relu and elu add their float parameter.</summary>
public static class ActivationKernels
{
    public static readonly KernelRef ReluForward = new("relu.cu", "relu_forward_f32");
    public static readonly KernelRef ReluBackward = new("relu.cu", "relu_backward_f32");
    /// <summary>The scalar-load version that <see cref="LeakyReluForward"/> replaced (benchmark only).</summary>
    public static readonly KernelRef LeakyReluForwardV1 = new("leaky_relu.cu", "leaky_relu_forward_f32_v1");
    public static readonly KernelRef LeakyReluForward = new("leaky_relu.cu", "leaky_relu_forward_f32");
    public static readonly KernelRef LeakyReluBackward = new("leaky_relu.cu", "leaky_relu_backward_f32");
    public static readonly KernelRef EluForward = new("elu.cu", "elu_forward_f32");
    public static readonly KernelRef EluBackward = new("elu.cu", "elu_backward_f32");
    public static readonly KernelRef TanhForward = new("tanh.cu", "tanh_forward_f32");
    public static readonly KernelRef TanhBackward = new("tanh.cu", "tanh_backward_f32");
    public static readonly KernelRef SigmoidForward = new("sigmoid.cu", "sigmoid_forward_f32");
    public static readonly KernelRef SigmoidBackward = new("sigmoid.cu", "sigmoid_backward_f32");
    public static readonly KernelRef SoftplusForward = new("softplus.cu", "softplus_forward_f32");
    public static readonly KernelRef SoftplusBackward = new("softplus.cu", "softplus_backward_f32");
}
