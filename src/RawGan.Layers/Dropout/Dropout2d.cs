namespace RawGan.Nn;

/// <summary>Spatial dropout, as Torch's SpatialDropout and PyTorch's Dropout2d: in training mode zeroes
/// each channel of an NCHW input with probability p and scales the rest by 1 / (1 - p); in eval mode
/// the identity.</summary>
public sealed class Dropout2d(double p = 0.5, Generator? generator = null) : DropoutBase(p, generator)
{
    public override Tensor Forward(Tensor x) => F.Dropout2d(x, P, Training, Masks);
}
