namespace RawGan.Nn;

/// <summary>2-d convolution over NCHW input (cross-correlation, as PyTorch); weight OIHW
/// [out, in / groups, k, k], bias [out]. Square kernels, strides, paddings and dilations.</summary>
public sealed class Conv2d : Module
{
    public Conv2d(int inChannels, int outChannels, int kernelSize, int stride = 1, int padding = 0, int dilation = 1,
        int groups = 1, bool bias = true, Generator? generator = null, DType dtype = DType.Float32, Device? device = null)
    {
        ConvChecks.Validate(inChannels, outChannels, kernelSize, stride, padding, dilation, groups);
        InChannels = inChannels;
        OutChannels = outChannels;
        KernelSize = kernelSize;
        Stride = stride;
        Padding = padding;
        Dilation = dilation;
        Groups = groups;
        Weight = RegisterParameter("weight", Tensor.Empty([outChannels, inChannels / groups, kernelSize, kernelSize], dtype, device));
        Bias = bias ? RegisterParameter("bias", Tensor.Empty([outChannels], dtype, device)) : null;
        ResetParameters(generator);
    }

    public int InChannels { get; }
    public int OutChannels { get; }
    public int KernelSize { get; }
    public int Stride { get; }
    public int Padding { get; }
    public int Dilation { get; }
    public int Groups { get; }
    public Tensor Weight { get; }
    public Tensor? Bias { get; }

    /// <summary>PyTorch's default initialisation (see <see cref="Init.LayerDefault"/>).</summary>
    public void ResetParameters(Generator? generator = null) => Init.LayerDefault(Weight, Bias, generator);

    public override Tensor Forward(Tensor x) => F.Conv2d(x, Weight, Bias, Stride, Padding, Dilation, Groups);

    /// <summary>The convolution alone, for a <see cref="Sequential"/> that adds the bias fused with the
    /// activation after it.</summary>
    internal Tensor ForwardWithoutBias(Tensor x) => F.Conv2d(x, Weight, null, Stride, Padding, Dilation, Groups);
}
