namespace RawGan;

public static partial class F
{
    /// <summary>Shared plumbing of the pointwise activations: contiguous input, fresh output,
    /// backward given (dx, dy, x, y) to fill dx.</summary>
    private static Tensor Activation(string op, Tensor x, Action<Tensor, Tensor> forward, Action<Tensor, Tensor, Tensor, Tensor> backward)
    {
        var src = Contiguous(x);
        var y = src.EmptyLike();
        forward(y, src);
        return Autograd.Autograd.Record(y, op, [x], dy =>
        {
            var dx = src.EmptyLike();
            backward(dx, Contiguous(dy), src, y);
            return [dx];
        });
    }
}
