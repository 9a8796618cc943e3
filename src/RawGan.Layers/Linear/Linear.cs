namespace RawGan.Nn;

/// <summary>y = x W^T + b over the last dimension; weight [out, in], bias [out] (PyTorch's layout).</summary>
public sealed class Linear : Module
{
    public Linear(int inFeatures, int outFeatures, bool bias = true, Generator? generator = null,
        DType dtype = DType.Float32, Device? device = null)
    {
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        Weight = RegisterParameter("weight", Tensor.Empty([outFeatures, inFeatures], dtype, device));
        Bias = bias ? RegisterParameter("bias", Tensor.Empty([outFeatures], dtype, device)) : null;
        ResetParameters(generator);
    }

    public int InFeatures { get; }
    public int OutFeatures { get; }
    public Tensor Weight { get; }
    public Tensor? Bias { get; }

    /// <summary>PyTorch's default initialisation (see <see cref="Init.LayerDefault"/>).</summary>
    public void ResetParameters(Generator? generator = null) => Init.LayerDefault(Weight, Bias, generator);

    public override Tensor Forward(Tensor x) => F.Linear(x, Weight, Bias);
}
