namespace RawGan;

public static partial class F
{
    /// <summary>x for x &gt; 0, slope * x otherwise (DCGAN's discriminator uses 0.2).</summary>
    public static Tensor LeakyRelu(Tensor x, double slope = 0.01) => Activation("leaky_relu", x,
        (y, xx) => xx.Backend.LeakyReluForward(y, xx, slope),
        (dx, dy, xx, _) => xx.Backend.LeakyReluBackward(dx, dy, xx, slope));
}
