using RawGan.Backends;

namespace RawGan;

public static partial class F
{
    /// <summary>LeakyRelu(x + bias[c], slope) per channel c of x [N, C, ...] in one op (slope 0: Relu): a
    /// convolution's bias add and the activation after it in one pass, whose backward also sums the bias
    /// gradient. <see cref="Nn.Sequential"/> runs Conv2d (with a bias) + ReLU or LeakyReLU through it.</summary>
    public static Tensor BiasLeakyRelu(Tensor x, Tensor bias, double slope) =>
        BiasActivation("bias_leaky_relu", x, bias, FusedActivation.LeakyRelu, slope);

    /// <summary>Elu(x + bias[c], alpha) per channel in one op: BEGAN's Conv2d + ELU pairs (see <see cref="BiasLeakyRelu"/>).</summary>
    public static Tensor BiasElu(Tensor x, Tensor bias, double alpha) =>
        BiasActivation("bias_elu", x, bias, FusedActivation.Elu, alpha);

    private static Tensor BiasActivation(string op, Tensor x, Tensor bias, FusedActivation act, double parameter)
    {
        CheckSame(op, x, bias);
        if (x.Rank is < 2 or > 4) throw new ArgumentException($"{op}: input must be [N, C], [N, C, L] or [N, C, H, W], got shape {Shape.Format(x.Shape)}");
        CheckShape(op, bias, [x.Shape[1]], "bias");
        if (!double.IsFinite(parameter)) throw new ArgumentException($"{op}: the activation's parameter must be finite, got {parameter}");

        var xs = Contiguous(x);
        var b = Contiguous(bias);
        var y = xs.EmptyLike();
        var x4 = As4d(xs);
        y.Backend.BiasActivationForward(As4d(y), x4, b, act, parameter);
        return Autograd.Autograd.Record(y, op, [x, bias], dy =>
        {
            var dx = xs.EmptyLike();
            var dBias = b.EmptyLike();
            dx.Backend.BiasActivationBackward(As4d(dx), dBias, As4d(Contiguous(dy)), x4, b, act, parameter);
            return [x.RequiresGrad ? dx : null, bias.RequiresGrad ? dBias : null];
        });
    }
}
