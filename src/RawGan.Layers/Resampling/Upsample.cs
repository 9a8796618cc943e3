namespace RawGan.Nn;

/// <summary>Nearest-neighbour upsampling of NCHW input by an integer factor (PyTorch's
/// Upsample(scale_factor = s, mode = 'nearest')): each pixel becomes an s x s block.</summary>
public sealed class Upsample : Module
{
    public Upsample(int scaleFactor)
    {
        if (scaleFactor <= 0) throw new ArgumentOutOfRangeException(nameof(scaleFactor), scaleFactor, "the scale factor must be positive");
        ScaleFactor = scaleFactor;
    }

    public int ScaleFactor { get; }

    public override Tensor Forward(Tensor x) => F.UpsampleNearest(x, ScaleFactor);
}
