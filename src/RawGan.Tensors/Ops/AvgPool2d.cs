using RawGan.Backends;

namespace RawGan;

public static partial class F
{
    /// <summary>Mean over kernel x kernel windows of x [N, C, H, W], as torch.nn.functional.avg_pool2d with
    /// its defaults (stride = kernel, count_include_pad: padding counts as zeros, every window divides by
    /// kernel^2). The gradient spreads dy / kernel^2 over each window.</summary>
    public static Tensor AvgPool2d(Tensor x, int kernel, int? stride = null, int padding = 0) =>
        AvgPool2d(x, new Pool2dArgs(kernel, kernel, stride ?? kernel, stride ?? kernel, padding, padding));

    public static Tensor AvgPool2d(Tensor x, Pool2dArgs args)
    {
        const string op = "avg_pool2d";
        var y = Tensor.Empty(PoolOutputShape(op, x, args), x.DType, x.Device);
        var xs = Contiguous(x);
        y.Backend.AvgPool2dForward(y, xs, args);
        var inShape = x.Shape;
        return Autograd.Autograd.Record(y, op, [x], dy =>
        {
            var dx = Tensor.Empty(inShape, dy.DType, dy.Device);
            dx.Backend.AvgPool2dBackward(dx, Contiguous(dy), args);
            return [dx];
        });
    }
}
