namespace RawGan;

public static partial class F
{
    /// <summary>Mean (x - target)^2; the gradient is 2 (x - target) / N.</summary>
    public static Tensor MseLoss(Tensor x, Tensor target) => MeanLoss("mse_loss", x, target,
        (loss, xx, t) => xx.Backend.MseForward(loss, xx, t),
        (dx, dLoss, xx, t, scale) => xx.Backend.MseBackward(dx, dLoss, xx, t, scale));
}
