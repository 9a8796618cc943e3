namespace RawGan;

public static partial class F
{
    /// <summary>1 / (1 + e^-x); the backward uses the output: dx = dy y (1 - y).</summary>
    public static Tensor Sigmoid(Tensor x) => Activation("sigmoid", x,
        (y, xx) => xx.Backend.SigmoidForward(y, xx),
        (dx, dy, _, y) => y.Backend.SigmoidBackward(dx, dy, y));
}
