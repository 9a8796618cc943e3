namespace RawGan;

public static partial class F
{
    /// <summary>Shared plumbing of the mean-reduced elementwise losses: the backend writes each
    /// element's loss, a sum reduces it, and the backward scales by 1/N on the device.</summary>
    private static Tensor MeanLoss(string op, Tensor input, Tensor target,
        Action<Tensor, Tensor, Tensor> forward, Action<Tensor, Tensor, Tensor, Tensor, double> backward)
    {
        CheckSame(op, input, target);
        CheckShape(op, target, input.Shape, "target");
        var x = Contiguous(input);
        var t = Contiguous(target);
        var elementwise = x.EmptyLike();
        forward(elementwise, x, t);
        var loss = Tensor.Empty([], x.DType, x.Device);
        loss.Backend.Sum(loss, elementwise, 1, x.NumEl, 1);
        loss.Backend.Scalar(Backends.ScalarOp.Mul, loss, loss, 1.0 / Math.Max(x.NumEl, 1));
        elementwise.Dispose();
        return Autograd.Autograd.Record(loss, op, [input, target], dLoss =>
        {
            var dx = x.EmptyLike();
            backward(dx, Contiguous(dLoss), x, t, 1.0 / Math.Max(x.NumEl, 1));
            return [dx, null];
        });
    }

    /// <summary>A target tensor filled with one value (GAN labels: 1 for real, 0 for fake).</summary>
    public static Tensor Label(Tensor like, double value) => Tensor.Full(like.Shape, value, like.DType, like.Device);
}
