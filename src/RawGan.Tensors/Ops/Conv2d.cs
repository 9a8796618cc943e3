using RawGan.Backends;

namespace RawGan;

public static partial class F
{
    /// <summary>2-d cross-correlation of x [N, C, H, W] with weight [O, C/groups, kH, kW] plus an optional
    /// bias [O], as torch.nn.functional.conv2d. Output [N, O, Ho, Wo], Ho = (H + 2p - d (kH - 1) - 1) / s + 1.</summary>
    public static Tensor Conv2d(Tensor x, Tensor weight, Tensor? bias = null, int stride = 1, int padding = 0, int dilation = 1, int groups = 1) =>
        Conv2d(x, weight, bias, new Conv2dArgs(stride, stride, padding, padding, dilation, dilation, groups));

    /// <summary>conv2d with per-axis stride, padding and dilation.</summary>
    public static Tensor Conv2d(Tensor x, Tensor weight, Tensor? bias, Conv2dArgs args)
    {
        const string op = "conv2d";
        CheckConvOperands(op, x, weight, bias, args);
        int n = x.Shape[0], c = x.Shape[1], o = weight.Shape[0], groups = args.Groups;
        if (c % groups != 0 || o % groups != 0 || weight.Shape[1] * groups != c)
            throw new ArgumentException($"conv2d: input {Shape.Format(x.Shape)} and weight {Shape.Format(weight.Shape)} do not fit " +
                                        $"{groups} group(s): need C = weight.Shape[1] * groups and O divisible by groups");
        CheckBias(op, bias, o);
        int ho = ConvOutputSize(op, x, weight, 2, args.StrideH, args.PadH, args.DilationH);
        int wo = ConvOutputSize(op, x, weight, 3, args.StrideW, args.PadW, args.DilationW);

        var xs = Contiguous(x);
        var ws = Contiguous(weight);
        var y = Tensor.Empty([n, o, ho, wo], x.DType, x.Device);
        y.Backend.Conv2dForward(y, xs, ws, args);
        if (bias is not null) AddChannelBias(y, bias);
        return Autograd.Autograd.Record(y, op, bias is null ? [x, weight] : [x, weight, bias], dy =>
        {
            var g = Contiguous(dy);
            Tensor? dx = null, dw = null;
            if (x.RequiresGrad)
            {
                dx = xs.EmptyLike();
                dx.Backend.Conv2dBackwardData(dx, g, ws, args);
            }
            if (weight.RequiresGrad)
            {
                dw = ws.EmptyLike();
                dw.Backend.Conv2dBackwardFilter(dw, g, xs, args);
            }
            return bias is null ? [dx, dw] : [dx, dw, bias.RequiresGrad ? ChannelBiasGrad(g) : null];
        });
    }

    /// <summary>Checks shared by conv2d and conv_transpose2d: ranks, devices, dtypes and the geometry's signs.</summary>
    private static void CheckConvOperands(string op, Tensor x, Tensor weight, Tensor? bias, Conv2dArgs args)
    {
        CheckSame(op, x, weight);
        if (bias is not null) CheckSame(op, x, bias);
        CheckRank(op, x, 4, "input");
        CheckRank(op, weight, 4, "weight");
        if (args.StrideH < 1 || args.StrideW < 1 || args.DilationH < 1 || args.DilationW < 1 || args.PadH < 0 || args.PadW < 0 || args.Groups < 1)
            throw new ArgumentException($"{op}: stride, dilation and groups must be positive and padding non-negative, got {args}");
    }

    private static void CheckBias(string op, Tensor? bias, int channels)
    {
        if (bias is not null) CheckShape(op, bias, [channels], "bias");
    }

    /// <summary>floor((size + 2 pad - dilation (k - 1) - 1) / stride) + 1 along one axis of x, which must be positive.</summary>
    private static int ConvOutputSize(string op, Tensor x, Tensor weight, int axis, int stride, int pad, int dilation)
    {
        int span = dilation * (weight.Shape[axis] - 1) + 1;
        int padded = x.Shape[axis] + 2 * pad;
        if (padded < span)
            throw new ArgumentException($"{op}: input {Shape.Format(x.Shape)} padded by {pad} is smaller than the dilated kernel " +
                                        $"of weight {Shape.Format(weight.Shape)} ({span} along dim {axis})");
        return (padded - span) / stride + 1;
    }

    /// <summary>y[n, o, h, w] += bias[o], in place: one broadcast add over a [1, O, 1, 1] view instead of
    /// a second output tensor.</summary>
    private static void AddChannelBias(Tensor y, Tensor bias)
    {
        using var _ = Autograd.Autograd.NoGrad();
        using var b = Reshape(bias, 1, bias.NumEl, 1, 1);
        using var broadcast = Expand(b, y.Shape);
        y.Backend.Binary(BinaryOp.Add, y, y, broadcast);
    }

    /// <summary>The bias gradient: dy summed over batch and positions, [O].</summary>
    private static Tensor ChannelBiasGrad(Tensor dy) => Sum(dy, [0, 2, 3]);
}
