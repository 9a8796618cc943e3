using System.Numerics;
using RawGan.Backends.Cpu;

namespace RawGan.Tests;

/// <summary>Every op's backward against float64 central differences, on odd shapes, broadcasting
/// and non-contiguous inputs; the SIMD activations against their scalar formulas, bit for bit.</summary>
public class GradCheckTests
{
    private static Tensor Leaf(int seed, params int[] shape) => GradCheck.Leaf(shape, seed);

    [Fact]
    public void Add_Sub_Mul_Div_WithBroadcasting_MatchFiniteDifferences()
    {
        var a = Leaf(1, 3, 1, 5);
        var b = Leaf(2, 4, 1);
        var d = GradCheck.Leaf([4, 5], 3, 0.5, 2.0);
        GradCheck.Check("add", x => x[0] + x[1], a, b);
        GradCheck.Check("sub", x => x[0] - x[1], a, b);
        GradCheck.Check("mul", x => x[0] * x[1], a, b);
        GradCheck.Check("div", x => x[0] / x[1], a, d);
    }

    [Fact]
    public void ScalarOps_And_Math_MatchFiniteDifferences()
    {
        var x = GradCheck.Leaf([2, 7], 4, 0.2, 2.0);
        GradCheck.Check("add_scalar", t => t[0] + 3.0, x);
        GradCheck.Check("mul_scalar", t => t[0] * -1.5, x);
        GradCheck.Check("pow", t => t[0].Pow(2.5), x);
        GradCheck.Check("neg", t => -t[0], x);
        GradCheck.Check("exp", t => t[0].Exp(), x);
        GradCheck.Check("log", t => t[0].Log(), x);
        GradCheck.Check("sqrt", t => t[0].Sqrt(), x);
    }

    [Fact]
    public void Views_OnNonContiguousInputs_MatchFiniteDifferences()
    {
        var x = Leaf(5, 2, 3, 4);
        GradCheck.Check("permute", t => t[0].Permute(2, 0, 1) * Leaf(6, 4, 2, 3), x);
        GradCheck.Check("transpose+reshape", t => t[0].Transpose(0, 2).Reshape(4, 6), x);
        GradCheck.Check("slice", t => t[0].Slice(2, 1, 4, 2), x);
        GradCheck.Check("expand", t => t[0].Slice(1, 0, 1).Expand(2, 5, 4), x);
        GradCheck.Check("concat", t => F.Concat([t[0], t[0].Permute(0, 1, 2) * 2.0], 1), x);
    }

    [Fact]
    public void Sum_Mean_OverAxes_MatchFiniteDifferences()
    {
        var x = Leaf(7, 3, 4, 5);
        GradCheck.Check("sum", t => t[0].Sum(), x);
        GradCheck.Check("sum(0,2)", t => t[0].Sum([0, 2]), x);
        GradCheck.Check("mean(1, keepdim)", t => t[0].Mean([1], keepDim: true), x);
        GradCheck.Check("mean(-1) of transposed", t => t[0].Transpose(0, 1).Mean([-1]), x);
    }

    [Fact]
    public void Matmul_Batched_Broadcast_MatchesFiniteDifferences()
    {
        GradCheck.Check("matmul 2d", t => t[0].Matmul(t[1]), Leaf(8, 3, 5), Leaf(9, 5, 2));
        GradCheck.Check("matmul batched broadcast", t => t[0].Matmul(t[1]), Leaf(10, 2, 1, 3, 4), Leaf(11, 3, 4, 2));
        GradCheck.Check("matmul transposed operand", t => t[0].Transpose(0, 1).Matmul(t[1]), Leaf(12, 4, 3), Leaf(13, 4, 2));
    }

    [Fact]
    public void Linear_WithAndWithoutBias_OnBatchedInput_MatchesFiniteDifferences()
    {
        GradCheck.Check("linear", t => F.Linear(t[0], t[1], t[2]), Leaf(30, 2, 3, 5), Leaf(31, 4, 5), Leaf(32, 4));
        GradCheck.Check("linear no bias, transposed input", t => F.Linear(t[0].Transpose(0, 1), t[1]), Leaf(33, 5, 3), Leaf(34, 2, 5));
    }

    [Fact]
    public void Activations_MatchFiniteDifferences()
    {
        // Values kept away from 0, where relu-like kinks make finite differences meaningless.
        var data = GradCheck.Random([3, 11], 14).ToDoubleArray().Select(v => v + Math.Sign(v) * 0.05).ToArray();
        var x = Tensor.FromArray(data, [3, 11]);
        x.RequiresGrad = true;
        GradCheck.Check("relu", t => F.Relu(t[0]), x);
        GradCheck.Check("leaky_relu", t => F.LeakyRelu(t[0], 0.2), x);
        GradCheck.Check("elu", t => F.Elu(t[0], 1.3), x);
        GradCheck.Check("tanh", t => F.Tanh(t[0]), x);
        GradCheck.Check("sigmoid", t => F.Sigmoid(t[0]), x);
        GradCheck.Check("softplus", t => F.Softplus(t[0] * 5.0), x);
    }

    /// <summary>Lengths around the vector widths (tails of every size), and one split across cores.</summary>
    private static readonly int[] SimdLengths = [1, 3, 7, 8, 9, 15, 16, 17, 31, 33, 67, 2 * (1 << 17) + 5];

    [Fact]
    public void ReluAndLeakyRelu_Simd_GiveTheScalarFormulasBits_WithSignedZerosNaNsAndInfinities()
    {
        foreach (int n in SimdLengths)
        {
            CheckKinkedActivations<float>(n);
            CheckKinkedActivations<double>(n);
        }
    }

    /// <summary>ELU's SIMD loops give each element the bits of its scalar formula wherever it falls (vector
    /// or tail); float32's e^x (ExpSimd) stays within 2 ulp of MathF.Exp, float64's is Math.Exp.</summary>
    [Fact]
    public void Elu_Simd_GivesTheScalarFormulasBits_AndFloatExpStaysWithinTwoUlp()
    {
        foreach (int n in SimdLengths)
        {
            CheckElu<float>(n);
            CheckElu<double>(n);
        }
        int worst = 0;
        for (float v = -104f; v < 89f; v += 0.00731f)
            worst = Math.Max(worst, Math.Abs(BitConverter.SingleToInt32Bits(ExpSimd.Exp(v)) - BitConverter.SingleToInt32Bits(MathF.Exp(v))));
        Assert.InRange(worst, 0, 2);
        Assert.Equal(Math.Exp(-1.25), ExpSimd.Exp(-1.25));
    }

    private static void CheckElu<T>(int n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var b = CpuBackend.Instance;
        T alpha = T.CreateTruncating(0.7);
        // No NaN in dy: with NaN in both factors of dy * alpha * e^x, which payload survives depends on
        // the operand order the JIT picks for a commutative product, not on the formula.
        T[] xs = SpecialValues<T>(n, seed: n), dys = [.. SpecialValues<T>(n, seed: n + 1).Select(v => T.IsNaN(v) ? T.One : v)];
        var x = Typed(xs, padding: 3);
        var dy = Typed(dys, padding: 5);
        Expect("elu", n, xs, dys, (v, _) => v > T.Zero ? v : alpha * (ExpSimd.Exp(v) - T.One), y => b.EluForward(y, x, 0.7));
        Expect("elu backward", n, xs, dys, (v, g) => v > T.Zero ? g : g * alpha * ExpSimd.Exp(v), dx => b.EluBackward(dx, dy, x, 0.7));
    }

    private static void CheckKinkedActivations<T>(int n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var b = CpuBackend.Instance;
        T slope = T.CreateTruncating(0.2);
        T[] xs = SpecialValues<T>(n, seed: n), dys = SpecialValues<T>(n, seed: n + 1);
        // Inputs at an odd offset into their storage, so vectors start unaligned.
        var x = Typed(xs, padding: 3);
        var dy = Typed(dys, padding: 5);
        Expect("relu", n, xs, dys, (v, _) => v > T.Zero ? v : T.Zero, y => b.ReluForward(y, x));
        Expect("relu backward", n, xs, dys, (v, g) => v > T.Zero ? g : T.Zero, dx => b.ReluBackward(dx, dy, x));
        Expect("leaky_relu", n, xs, dys, (v, _) => v > T.Zero ? v : v * slope, y => b.LeakyReluForward(y, x, 0.2));
        Expect("leaky_relu backward", n, xs, dys, (v, g) => v > T.Zero ? g : g * slope, dx => b.LeakyReluBackward(dx, dy, x, 0.2));

        // In place, as gradient accumulation calls elementwise ops.
        var inPlace = Typed(xs, padding: 0);
        Expect("leaky_relu in place", n, xs, dys, (v, _) => v > T.Zero ? v : v * slope, _ => b.LeakyReluForward(inPlace, inPlace, 0.2), inPlace);
    }

    /// <summary>Runs op into a fresh output (or the given one) and compares every element's bits with reference(x, dy).</summary>
    private static void Expect<T>(string op, int n, T[] xs, T[] dys, Func<T, T, T> reference, Action<Tensor> run, Tensor? output = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var y = output ?? Tensor.Empty([n], xs is float[] ? DType.Float32 : DType.Float64);
        run(y);
        var actual = y.ToDoubleArray();
        for (int i = 0; i < n; i++)
        {
            double expected = double.CreateTruncating(reference(xs[i], dys[i]));
            if (BitConverter.DoubleToInt64Bits(expected) != BitConverter.DoubleToInt64Bits(actual[i]))
                Assert.Fail($"{op} {typeof(T).Name}[{n}]: element {i} (x {xs[i]}, dy {dys[i]}) is {actual[i]:R}, expected {expected:R}");
        }
    }

    /// <summary>Uniform draws in [-1, 1) with +-0, both NaN signs, +-inf and the smallest subnormals mixed in, and
    /// the last elements (the scalar tail) special too.</summary>
    private static T[] SpecialValues<T>(int n, int seed) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T[] specials = [T.Zero, T.NegativeZero, T.NaN, -T.NaN, T.PositiveInfinity, T.NegativeInfinity, T.Epsilon, -T.Epsilon];
        var random = GradCheck.Random([n], seed).ToDoubleArray();
        var values = new T[n];
        for (int i = 0; i < n; i++)
            values[i] = i % 5 == 2 || i >= n - 2 ? specials[(i * 7 + seed) % specials.Length] : T.CreateTruncating(random[i]);
        return values;
    }

    /// <summary>A 1-d tensor holding values, starting padding elements into its storage.</summary>
    private static Tensor Typed<T>(T[] values, int padding) where T : unmanaged
    {
        var padded = new T[padding + values.Length];
        values.CopyTo(padded, padding);
        var t = padded is float[] f ? Tensor.FromArray(f, [padded.Length]) : Tensor.FromArray((double[])(object)padded, [padded.Length]);
        return t.Slice(0, padding, padded.Length);
    }

    [Fact]
    public void Losses_MatchFiniteDifferences()
    {
        var logits = Leaf(15, 4, 3);
        var p = GradCheck.Leaf([4, 3], 16, 0.05, 0.95);
        var target = GradCheck.Random([4, 3], 17, 0, 1);
        GradCheck.Check("bce", t => F.BinaryCrossEntropy(t[0], target), p);
        GradCheck.Check("bce smoothed", t => F.BinaryCrossEntropy(t[0], target, labelSmoothing: 0.1), p);
        GradCheck.Check("bce_with_logits", t => F.BinaryCrossEntropyWithLogits(t[0] * 4.0, target), logits);
        GradCheck.Check("l1", t => F.L1Loss(t[0], target), logits);
        GradCheck.Check("mse", t => F.MseLoss(t[0], target), logits);
    }

    [Fact]
    public void VaeTerms_MatchFiniteDifferences()
    {
        var mu = Leaf(18, 3, 4);
        var logVar = Leaf(19, 3, 4);
        GradCheck.Check("gaussian_kl", t => F.GaussianKl(t[0], t[1]), mu, logVar);
        GradCheck.Check("reparameterize", t => F.Reparameterize(t[0], t[1], new Generator(5)), mu, logVar);
        GradCheck.Check("l2_penalty", t => F.L2Penalty([t[0], t[1]]), mu, logVar);
    }

    [Fact]
    public void Dropout_MatchesFiniteDifferences_WithAFixedMask()
    {
        var x = Leaf(20, 4, 9);
        GradCheck.Check("dropout", t => F.Dropout(t[0], 0.3, training: true, new Generator(11)), x);
    }

    [Fact]
    public void Dropout2d_MatchesFiniteDifferences_WithAFixedMask()
    {
        var x = Leaf(3, 4, 5, 2, 3);
        GradCheck.Check("dropout2d", t => F.Dropout2d(t[0], 0.4, training: true, new Generator(12)), x);
    }
}
