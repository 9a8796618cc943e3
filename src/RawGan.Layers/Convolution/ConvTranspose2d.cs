namespace RawGan.Nn;

/// <summary>2-d transposed convolution (the gradient of a convolution with respect to its input,
/// the DCGAN generator's upsampling layer); weight IOHW [in, out / groups, k, k] as PyTorch's, bias
/// [out]. Output size (H - 1) stride - 2 padding + dilation (k - 1) + outputPadding + 1.</summary>
public sealed class ConvTranspose2d : Module
{
    public ConvTranspose2d(int inChannels, int outChannels, int kernelSize, int stride = 1, int padding = 0,
        int outputPadding = 0, int groups = 1, bool bias = true, int dilation = 1, Generator? generator = null,
        DType dtype = DType.Float32, Device? device = null)
    {
        ConvChecks.Validate(inChannels, outChannels, kernelSize, stride, padding, dilation, groups);
        if (outputPadding < 0 || (outputPadding >= stride && outputPadding >= dilation))
            throw new ArgumentOutOfRangeException(nameof(outputPadding), outputPadding, "output padding must be non-negative and smaller than either stride or dilation");
        InChannels = inChannels;
        OutChannels = outChannels;
        KernelSize = kernelSize;
        Stride = stride;
        Padding = padding;
        OutputPadding = outputPadding;
        Groups = groups;
        Dilation = dilation;
        Weight = RegisterParameter("weight", Tensor.Empty([inChannels, outChannels / groups, kernelSize, kernelSize], dtype, device));
        Bias = bias ? RegisterParameter("bias", Tensor.Empty([outChannels], dtype, device)) : null;
        ResetParameters(generator);
    }

    public int InChannels { get; }
    public int OutChannels { get; }
    public int KernelSize { get; }
    public int Stride { get; }
    public int Padding { get; }
    public int OutputPadding { get; }
    public int Groups { get; }
    public int Dilation { get; }
    public Tensor Weight { get; }
    public Tensor? Bias { get; }

    /// <summary>PyTorch's default initialisation (see <see cref="Init.LayerDefault"/>); the fans come
    /// from the IOHW weight as PyTorch computes them.</summary>
    public void ResetParameters(Generator? generator = null) => Init.LayerDefault(Weight, Bias, generator);

    public override Tensor Forward(Tensor x) =>
        F.ConvTranspose2d(x, Weight, Bias, Stride, Padding, OutputPadding, Groups, Dilation);
}
