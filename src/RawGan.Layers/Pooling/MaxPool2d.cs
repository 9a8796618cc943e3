namespace RawGan.Nn;

/// <summary>Maximum over square windows of NCHW input; padding counts as -inf. The stride defaults
/// to the kernel size (non-overlapping windows), as PyTorch's.</summary>
public sealed class MaxPool2d(int kernelSize, int? stride = null, int padding = 0) : Module
{
    public int KernelSize { get; } = kernelSize;
    public int Stride { get; } = stride ?? kernelSize;
    public int Padding { get; } = padding;

    public override Tensor Forward(Tensor x) => F.MaxPool2d(x, KernelSize, Stride, Padding);
}
