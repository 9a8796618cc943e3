namespace RawGan;

public static partial class F
{
    /// <summary>Mean |x - target| (BEGAN's autoencoder loss); the gradient is sign(x - target) / N.</summary>
    public static Tensor L1Loss(Tensor x, Tensor target) => MeanLoss("l1_loss", x, target,
        (loss, xx, t) => xx.Backend.L1Forward(loss, xx, t),
        (dx, dLoss, xx, t, scale) => xx.Backend.L1Backward(dx, dLoss, xx, t, scale));
}
