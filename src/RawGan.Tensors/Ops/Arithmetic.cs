using RawGan.Backends;

namespace RawGan;

// add, sub, mul, div with NumPy broadcasting, and their scalar forms. A broadcast input's
// gradient is summed back to its own shape (SumTo).
public static partial class F
{
    public static Tensor Add(Tensor a, Tensor b) => Binary(BinaryOp.Add, a, b,
        (dz, _, _) => (dz, dz));

    public static Tensor Sub(Tensor a, Tensor b) => Binary(BinaryOp.Sub, a, b,
        (dz, _, _) => (dz, Neg(dz)));

    public static Tensor Mul(Tensor a, Tensor b) => Binary(BinaryOp.Mul, a, b,
        (dz, x, y) => (Mul(dz, y), Mul(dz, x)));

    public static Tensor Div(Tensor a, Tensor b) => Binary(BinaryOp.Div, a, b,
        (dz, x, y) =>
        {
            var da = Div(dz, y);
            return (da, Neg(Div(Mul(da, x), y)));
        });

    private static Tensor Binary(BinaryOp op, Tensor a, Tensor b, Func<Tensor, Tensor, Tensor, (Tensor, Tensor)> backward)
    {
        CheckSame(op.ToString().ToLowerInvariant(), a, b);
        var shape = Shape.Broadcast(a.Shape, b.Shape);
        var z = Tensor.Empty(shape, a.DType, a.Device);
        using (Autograd.Autograd.NoGrad())
            z.Backend.Binary(op, z, Expand(a, shape), Expand(b, shape));
        var aShape = a.Shape;
        var bShape = b.Shape;
        return Autograd.Autograd.Record(z, op.ToString().ToLowerInvariant(), [a, b], dz =>
        {
            var (da, db) = backward(dz, a, b);
            return [a.RequiresGrad ? SumTo(da, aShape) : null, b.RequiresGrad ? SumTo(db, bShape) : null];
        });
    }

    public static Tensor Add(Tensor x, double s) => ScalarOp(Backends.ScalarOp.Add, x, s, dy => dy);

    public static Tensor Mul(Tensor x, double s) => ScalarOp(Backends.ScalarOp.Mul, x, s, dy => Mul(dy, s));

    /// <summary>x ^ p for a scalar exponent; d/dx = p x^(p-1).</summary>
    public static Tensor Pow(Tensor x, double p) => ScalarOp(Backends.ScalarOp.Pow, x, p, dy => Mul(Mul(dy, Pow(x, p - 1)), p));

    private static Tensor ScalarOp(ScalarOp op, Tensor x, double s, Func<Tensor, Tensor> backward)
    {
        var src = Contiguous(x);
        var y = src.EmptyLike();
        y.Backend.Scalar(op, y, src, s);
        return Autograd.Autograd.Record(y, op.ToString().ToLowerInvariant() + "_scalar", [x], dy => [backward(dy)]);
    }
}
