using RawGan.Backends;

namespace RawGan;

// conv_transpose2d is the adjoint of conv2d: its forward is conv2d's data gradient and its
// backward is conv2d's forward (for dx) and filter gradient (for dw). PyTorch's weight
// [Cin, Cout/g, kH, kW] is exactly the OIHW weight of the conv2d that maps the transposed conv's
// output [N, Cout, Ho, Wo] back to its input [N, Cin, H, W]: O = Cin, I/g = Cout/g, and in both
// layouts input channel ci of group ci / (Cin/g) meets output channels (ci / (Cin/g)) Cout/g + j.
public static partial class F
{
    /// <summary>Transposed 2-d convolution of x [N, Cin, H, W] with weight [Cin, Cout/groups, kH, kW] plus an
    /// optional bias [Cout], as torch.nn.functional.conv_transpose2d. Output [N, Cout, Ho, Wo] with
    /// Ho = (H - 1) s - 2p + d (kH - 1) + outputPadding + 1.</summary>
    public static Tensor ConvTranspose2d(Tensor x, Tensor weight, Tensor? bias = null, int stride = 1, int padding = 0,
        int outputPadding = 0, int groups = 1, int dilation = 1) =>
        ConvTranspose2d(x, weight, bias, new Conv2dArgs(stride, stride, padding, padding, dilation, dilation, groups), outputPadding, outputPadding);

    /// <summary>conv_transpose2d with per-axis stride, padding, dilation and output padding.</summary>
    public static Tensor ConvTranspose2d(Tensor x, Tensor weight, Tensor? bias, Conv2dArgs args, int outputPaddingH = 0, int outputPaddingW = 0)
    {
        const string op = "conv_transpose2d";
        CheckConvOperands(op, x, weight, bias, args);
        int n = x.Shape[0], cin = x.Shape[1], groups = args.Groups;
        if (weight.Shape[0] != cin || cin % groups != 0)
            throw new ArgumentException($"conv_transpose2d: weight {Shape.Format(weight.Shape)} needs [in_channels = {cin}, out_channels / groups, kH, kW] " +
                                        $"with in_channels divisible by {groups} group(s), input is {Shape.Format(x.Shape)}");
        int cout = weight.Shape[1] * groups;
        CheckBias(op, bias, cout);
        int ho = TransposedOutputSize(x, weight, 2, args.StrideH, args.PadH, args.DilationH, outputPaddingH);
        int wo = TransposedOutputSize(x, weight, 3, args.StrideW, args.PadW, args.DilationW, outputPaddingW);

        var xs = Contiguous(x);
        var ws = Contiguous(weight);
        var y = Tensor.Empty([n, cout, ho, wo], x.DType, x.Device);
        y.Backend.Conv2dBackwardData(y, xs, ws, args);
        if (bias is not null) AddChannelBias(y, bias);
        return Autograd.Autograd.Record(y, op, bias is null ? [x, weight] : [x, weight, bias], dy =>
        {
            var g = Contiguous(dy);
            Tensor? dx = null, dw = null;
            if (x.RequiresGrad)
            {
                dx = xs.EmptyLike();
                dx.Backend.Conv2dForward(dx, g, ws, args);
            }
            if (weight.RequiresGrad)
            {
                // The adjoint conv has g as its input and x as its output gradient.
                dw = ws.EmptyLike();
                dw.Backend.Conv2dBackwardFilter(dw, xs, g, args);
            }
            return bias is null ? [dx, dw] : [dx, dw, bias.RequiresGrad ? ChannelBiasGrad(g) : null];
        });
    }

    /// <summary>(size - 1) stride - 2 pad + dilation (k - 1) + outputPadding + 1 along one axis, with PyTorch's
    /// limit outputPadding &lt; max(stride, dilation): larger values would add rows no input reaches.</summary>
    private static int TransposedOutputSize(Tensor x, Tensor weight, int axis, int stride, int pad, int dilation, int outputPadding)
    {
        if (outputPadding < 0 || outputPadding >= Math.Max(stride, dilation))
            throw new ArgumentException($"conv_transpose2d: output padding {outputPadding} along dim {axis} must be in [0, max(stride {stride}, dilation {dilation}))");
        int size = (x.Shape[axis] - 1) * stride - 2 * pad + dilation * (weight.Shape[axis] - 1) + outputPadding + 1;
        if (size < 1)
            throw new ArgumentException($"conv_transpose2d: input {Shape.Format(x.Shape)} with weight {Shape.Format(weight.Shape)}, stride {stride}, " +
                                        $"padding {pad} gives an empty output along dim {axis}");
        return size;
    }
}
