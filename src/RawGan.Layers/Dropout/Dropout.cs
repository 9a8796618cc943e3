namespace RawGan.Nn;

/// <summary>Inverted dropout: in training mode zeroes each element with probability p and scales the
/// rest by 1 / (1 - p); in eval mode the identity. Masks come from <see cref="Generator"/>, or from
/// <see cref="Init.DefaultGenerator"/> when it is null.</summary>
public sealed class Dropout : Module
{
    public Dropout(double p = 0.5, Generator? generator = null)
    {
        if (p is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(p), p, "dropout probability must be in [0, 1)");
        P = p;
        Generator = generator;
    }

    public double P { get; }

    /// <summary>Settable so a checkpointed run can hand the restored stream back.</summary>
    public Generator? Generator { get; set; }

    public override Tensor Forward(Tensor x) => F.Dropout(x, P, Training, Generator ?? Init.DefaultGenerator);
}
