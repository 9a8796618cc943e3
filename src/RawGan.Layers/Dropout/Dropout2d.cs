namespace RawGan.Nn;

/// <summary>Spatial dropout, as Torch's SpatialDropout and PyTorch's Dropout2d: in training mode zeroes
/// each channel of an NCHW input with probability p and scales the rest by 1 / (1 - p); in eval mode
/// the identity. Masks come from <see cref="Generator"/>, or from <see cref="Init.DefaultGenerator"/>.</summary>
public sealed class Dropout2d : Module
{
    public Dropout2d(double p = 0.5, Generator? generator = null)
    {
        if (p is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(p), p, "dropout probability must be in [0, 1)");
        P = p;
        Generator = generator;
    }

    public double P { get; }

    public Generator? Generator { get; }

    public override Tensor Forward(Tensor x) => F.Dropout2d(x, P, Training, Generator ?? Init.DefaultGenerator);
}
