using RawGan.Backends;

namespace RawGan;

// neg, exp, log, sqrt: elementwise functions of one tensor.
public static partial class F
{
    public static Tensor Neg(Tensor x) => Unary(UnaryOp.Neg, x, (dy, _, _) => Neg(dy));

    public static Tensor Exp(Tensor x) => Unary(UnaryOp.Exp, x, (dy, _, y) => Mul(dy, y));

    public static Tensor Log(Tensor x) => Unary(UnaryOp.Log, x, (dy, xx, _) => Div(dy, xx));

    /// <summary>d sqrt(x) = dy / (2 sqrt(x)).</summary>
    public static Tensor Sqrt(Tensor x) => Unary(UnaryOp.Sqrt, x, (dy, _, y) => Mul(Div(dy, y), 0.5));

    private static Tensor Unary(UnaryOp op, Tensor x, Func<Tensor, Tensor, Tensor, Tensor> backward)
    {
        var src = Contiguous(x);
        var y = src.EmptyLike();
        y.Backend.Unary(op, y, src);
        return Autograd.Autograd.Record(y, op.ToString().ToLowerInvariant(), [x], dy => [backward(dy, src, y)]);
    }
}
