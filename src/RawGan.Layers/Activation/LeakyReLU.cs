namespace RawGan.Nn;

/// <summary>x for x &gt; 0, negativeSlope * x otherwise (DCGAN's discriminator uses 0.2).</summary>
public sealed class LeakyReLU(double negativeSlope = 0.01) : Module
{
    public double NegativeSlope { get; } = negativeSlope;

    public override Tensor Forward(Tensor x) => F.LeakyRelu(x, NegativeSlope);
}
