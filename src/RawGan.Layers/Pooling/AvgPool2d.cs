namespace RawGan.Nn;

/// <summary>Mean over square windows of NCHW input; padding counts as zeros in the mean (PyTorch's
/// count_include_pad = true). The stride defaults to the kernel size.</summary>
public sealed class AvgPool2d(int kernelSize, int? stride = null, int padding = 0) : Module
{
    public int KernelSize { get; } = kernelSize;
    public int Stride { get; } = stride ?? kernelSize;
    public int Padding { get; } = padding;

    public override Tensor Forward(Tensor x) => F.AvgPool2d(x, KernelSize, Stride, Padding);
}
