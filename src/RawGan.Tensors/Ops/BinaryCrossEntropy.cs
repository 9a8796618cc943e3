namespace RawGan;

public static partial class F
{
    /// <summary>Mean BCE on probabilities p in [0, 1] (after a sigmoid). Logs clamp at -100 as PyTorch.
    /// labelSmoothing e moves targets to t (1 - e) + e / 2.</summary>
    public static Tensor BinaryCrossEntropy(Tensor p, Tensor target, double labelSmoothing = 0) =>
        MeanLoss("binary_cross_entropy", p, Smooth(target, labelSmoothing),
            (loss, x, t) => x.Backend.BceForward(loss, x, t),
            (dx, dLoss, x, t, scale) => x.Backend.BceBackward(dx, dLoss, x, t, scale));

    /// <summary>Mean BCE on logits, numerically stable for any logit: sigmoid and BCE fused.</summary>
    public static Tensor BinaryCrossEntropyWithLogits(Tensor logits, Tensor target, double labelSmoothing = 0) =>
        MeanLoss("binary_cross_entropy_with_logits", logits, Smooth(target, labelSmoothing),
            (loss, x, t) => x.Backend.BceWithLogitsForward(loss, x, t),
            (dx, dLoss, x, t, scale) => x.Backend.BceWithLogitsBackward(dx, dLoss, x, t, scale));

    private static Tensor Smooth(Tensor target, double e)
    {
        if (e == 0) return target;
        if (e is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(e), e, "label smoothing must be in [0, 1]");
        using (Autograd.Autograd.NoGrad())
            return Add(Mul(target, 1 - e), e / 2);
    }
}
