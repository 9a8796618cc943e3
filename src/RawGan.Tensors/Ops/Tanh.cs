namespace RawGan;

public static partial class F
{
    /// <summary>tanh; the backward uses the output: dx = dy (1 - y^2).</summary>
    public static Tensor Tanh(Tensor x) => Activation("tanh", x,
        (y, xx) => xx.Backend.TanhForward(y, xx),
        (dx, dy, _, y) => y.Backend.TanhBackward(dx, dy, y));
}
