namespace RawGan.Nn;

/// <summary>Inverted dropout: in training mode zeroes each element with probability p and scales the
/// rest by 1 / (1 - p); in eval mode the identity.</summary>
public sealed class Dropout(double p = 0.5, Generator? generator = null) : DropoutBase(p, generator)
{
    public override Tensor Forward(Tensor x) => F.Dropout(x, P, Training, Masks);
}
