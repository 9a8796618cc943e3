namespace RawGan;

public static partial class F
{
    public static Tensor Relu(Tensor x) => Activation("relu", x,
        (y, xx) => xx.Backend.ReluForward(y, xx),
        (dx, dy, xx, _) => xx.Backend.ReluBackward(dx, dy, xx));
}
