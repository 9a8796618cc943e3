namespace RawGan;

public static partial class F
{
    /// <summary>Zeroes each element with probability p and scales the rest by 1 / (1 - p) (inverted
    /// dropout), only while training. The mask comes from the generator's Philox stream.</summary>
    public static Tensor Dropout(Tensor x, double p, bool training, Generator generator)
    {
        if (p is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(p), p, "dropout probability must be in [0, 1)");
        if (!training || p == 0) return x;
        var mask = x.EmptyLike();
        var (seed, offset) = generator.Reserve(mask.NumEl);
        mask.Backend.DropoutMask(mask, seed, offset, p);
        var y = Mul(x, mask);
        return y;
    }
}
