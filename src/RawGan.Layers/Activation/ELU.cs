namespace RawGan.Nn;

/// <summary>x for x &gt; 0, alpha (e^x - 1) otherwise (BEGAN's activation).</summary>
public sealed class ELU(double alpha = 1.0) : Module
{
    public double Alpha { get; } = alpha;

    public override Tensor Forward(Tensor x) => F.Elu(x, Alpha);
}
