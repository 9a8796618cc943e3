namespace RawGan.Nn;

/// <summary>tanh(x): the DCGAN generator's output layer.</summary>
public sealed class Tanh : Module
{
    public override Tensor Forward(Tensor x) => F.Tanh(x);
}
