namespace RawGan;

public static partial class F
{
    /// <summary>x for x &gt; 0, alpha (e^x - 1) otherwise (BEGAN's activation).</summary>
    public static Tensor Elu(Tensor x, double alpha = 1.0) => Activation("elu", x,
        (y, xx) => xx.Backend.EluForward(y, xx, alpha),
        (dx, dy, xx, _) => xx.Backend.EluBackward(dx, dy, xx, alpha));
}
