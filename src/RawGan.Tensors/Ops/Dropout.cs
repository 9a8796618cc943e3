namespace RawGan;

public static partial class F
{
    /// <summary>Zeroes each element with probability p and scales the rest by 1 / (1 - p) (inverted
    /// dropout), only while training. The mask comes from the generator's Philox stream.</summary>
    public static Tensor Dropout(Tensor x, double p, bool training, Generator generator)
    {
        CheckDropoutProbability(p);
        return MaskedDropout(x, x.Shape, p, training, generator);
    }

    /// <summary>Spatial dropout (Torch's SpatialDropout, PyTorch's Dropout2d): zeroes whole channels of
    /// an NCHW tensor with probability p and scales the rest by 1 / (1 - p), only while training. Maps
    /// next to each other are correlated, so dropping single pixels regularises a conv net little.</summary>
    public static Tensor Dropout2d(Tensor x, double p, bool training, Generator generator)
    {
        CheckDropoutProbability(p);
        if (x.Rank != 4) throw new ArgumentException($"dropout2d needs an NCHW tensor, got shape {RawGan.Shape.Format(x.Shape)}");
        return MaskedDropout(x, [x.Shape[0], x.Shape[1], 1, 1], p, training, generator);
    }

    private static void CheckDropoutProbability(double p)
    {
        if (p is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(p), p, "dropout probability must be in [0, 1)");
    }

    /// <summary>x times a mask of maskShape (broadcast over x) holding 0 with probability p, else 1 / (1 - p).</summary>
    private static Tensor MaskedDropout(Tensor x, int[] maskShape, double p, bool training, Generator generator)
    {
        if (!training || p == 0) return x;
        var mask = Tensor.Empty(maskShape, x.DType, x.Device);
        var (seed, offset, offsetBase) = StepCapture.Draw(generator, mask.NumEl);
        mask.Backend.DropoutMask(mask, seed, offset, p, offsetBase);
        return Mul(x, mask);
    }
}
