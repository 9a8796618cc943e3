namespace RawGan.Nn;

/// <summary>log(1 + e^x) (PyTorch's beta = 1; no threshold is needed, the backend computes it without overflow).</summary>
public sealed class Softplus : Module
{
    public override Tensor Forward(Tensor x) => F.Softplus(x);
}
