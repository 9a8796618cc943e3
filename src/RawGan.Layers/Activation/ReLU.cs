namespace RawGan.Nn;

/// <summary>max(x, 0).</summary>
public sealed class ReLU : Module
{
    public override Tensor Forward(Tensor x) => F.Relu(x);
}
