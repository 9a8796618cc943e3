namespace RawGan.Nn;

/// <summary>1 / (1 + e^-x): the DCGAN discriminator's output layer.</summary>
public sealed class Sigmoid : Module
{
    public override Tensor Forward(Tensor x) => F.Sigmoid(x);
}
