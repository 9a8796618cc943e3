using RawGan.Backends;

namespace RawGan;

public static partial class F
{
    /// <summary>Max over kernel x kernel windows of x [N, C, H, W], padding with -inf, as
    /// torch.nn.functional.max_pool2d (stride defaults to the kernel). The gradient goes to the first
    /// maximum of each window in row-major order.</summary>
    public static Tensor MaxPool2d(Tensor x, int kernel, int? stride = null, int padding = 0) =>
        MaxPool2d(x, new Pool2dArgs(kernel, kernel, stride ?? kernel, stride ?? kernel, padding, padding));

    public static Tensor MaxPool2d(Tensor x, Pool2dArgs args)
    {
        const string op = "max_pool2d";
        var y = Tensor.Empty(PoolOutputShape(op, x, args), x.DType, x.Device);
        var xs = Contiguous(x);
        y.Backend.MaxPool2dForward(y, xs, args);
        return Autograd.Autograd.Record(y, op, [x], dy =>
        {
            var dx = xs.EmptyLike();
            dx.Backend.MaxPool2dBackward(dx, Contiguous(dy), xs, args);
            return [dx];
        });
    }

    /// <summary>[N, C, Ho, Wo] with Ho = (H + 2 pad - kernel) / stride + 1 (floor, PyTorch's ceil_mode=False).
    /// PyTorch's limit pad &lt;= kernel / 2 keeps every window overlapping the image.</summary>
    private static int[] PoolOutputShape(string op, Tensor x, Pool2dArgs a)
    {
        CheckRank(op, x, 4, "input");
        if (a.KernelH < 1 || a.KernelW < 1 || a.StrideH < 1 || a.StrideW < 1 || a.PadH < 0 || a.PadW < 0)
            throw new ArgumentException($"{op}: kernel and stride must be positive and padding non-negative, got {a}");
        if (a.PadH > a.KernelH / 2 || a.PadW > a.KernelW / 2)
            throw new ArgumentException($"{op}: padding must be at most half the kernel, got {a}");
        if (x.Shape[2] + 2 * a.PadH < a.KernelH || x.Shape[3] + 2 * a.PadW < a.KernelW)
            throw new ArgumentException($"{op}: input {Shape.Format(x.Shape)} padded by ({a.PadH}, {a.PadW}) is smaller than the kernel ({a.KernelH}, {a.KernelW})");
        int ho = (x.Shape[2] + 2 * a.PadH - a.KernelH) / a.StrideH + 1;
        int wo = (x.Shape[3] + 2 * a.PadW - a.KernelW) / a.StrideW + 1;
        return [x.Shape[0], x.Shape[1], ho, wo];
    }
}
