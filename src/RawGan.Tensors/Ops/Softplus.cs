namespace RawGan;

public static partial class F
{
    /// <summary>log(1 + e^x), computed without overflow, and x itself above 20 (PyTorch's threshold);
    /// its derivative is sigmoid(x), 1 above the threshold.</summary>
    public static Tensor Softplus(Tensor x) => Activation("softplus", x,
        (y, xx) => xx.Backend.SoftplusForward(y, xx),
        (dx, dy, xx, _) => xx.Backend.SoftplusBackward(dx, dy, xx));
}
