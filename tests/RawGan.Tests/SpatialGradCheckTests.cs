using System.Numerics;
using RawGan.Backends;
using RawGan.Backends.Cpu;

namespace RawGan.Tests;

/// <summary>
/// conv2d, conv_transpose2d, batch norm, upsampling and pooling: backward against float64 central
/// differences, forward against hand-computed values and against direct loops written from
/// PyTorch's definitions (independent of im2col), float32 against float64, and the threaded batch
/// split against single images.
/// </summary>
public class SpatialGradCheckTests
{
    private static Tensor Leaf(int seed, params int[] shape) => GradCheck.Leaf(shape, seed);

    private static Tensor Doubles(double[] data, params int[] shape) => Tensor.FromArray(data, shape);

    private static void AssertClose(string what, double[] expected, double[] actual, double tol)
    {
        Assert.True(expected.Length == actual.Length, $"{what}: {actual.Length} elements, expected {expected.Length}");
        for (int i = 0; i < expected.Length; i++)
            if (!(Math.Abs(expected[i] - actual[i]) <= tol * (1 + Math.Abs(expected[i]))))
                Assert.Fail($"{what}: element {i} is {actual[i]:G10}, expected {expected[i]:G10}");
    }

    // ---------------------------------------------------------------- conv2d

    [Fact]
    public void Conv2d_Forward_MatchesHandComputedValues()
    {
        var x = Doubles([1, 2, 3, 4, 5, 6, 7, 8, 9], 1, 1, 3, 3);
        var w = Doubles([1, 2, 3, 4], 1, 1, 2, 2);
        // Valid windows: 1*1 + 2*2 + 4*3 + 5*4 = 37, then 47, 67, 77.
        Assert.Equal([37.0, 47, 67, 77], F.Conv2d(x, w).ToDoubleArray());
        // Padding 1, stride 2: windows start at -1 and 1; the corner window sees only x[0, 0] * w[1, 1].
        var y = F.Conv2d(x, w, Doubles([0.5], 1), stride: 2, padding: 1);
        Assert.Equal([1, 1, 2, 2], y.Shape);
        Assert.Equal([4.5, 2 * 3 + 3 * 4 + 0.5, 4 * 2 + 7 * 4 + 0.5, 77.5], y.ToDoubleArray());
        // Dilation 2 on a 3x3 input with a 2x2 kernel reads the four corners.
        Assert.Equal([1 * 1 + 3 * 2 + 7 * 3 + 9 * 4.0], F.Conv2d(x, w, dilation: 2).ToDoubleArray());
    }

    [Fact]
    public void Conv_OutputShapes_FollowPyTorchFormulas()
    {
        var x = Tensor.Zeros([2, 6, 5, 7], DType.Float64);
        Assert.Equal([2, 4, 3, 4], F.Conv2d(x, Tensor.Zeros([4, 6, 3, 3], DType.Float64), stride: 2, padding: 1).Shape);
        // (H + 2p - d (k - 1) - 1) / s + 1: (5 - 4 - 1) / 3 + 1 = 1 and (7 - 2 - 1) / 3 + 1 = 2.
        Assert.Equal([2, 9, 1, 2], F.Conv2d(x, Tensor.Zeros([9, 2, 3, 2], DType.Float64), stride: 3, dilation: 2, groups: 3).Shape);
        Assert.Equal([2, 4, 7, 2], F.Conv2d(x, Tensor.Zeros([4, 6, 1, 3], DType.Float64), null, new Conv2dArgs(1, 3, 1, 0)).Shape);
        // (H - 1) s - 2p + d (k - 1) + output_padding + 1: (5-1)*2 - 2 + 3 + 1 + 1 = 11, (7-1)*2 - 2 + 3 + 0 + 1 = 14.
        var t = Tensor.Zeros([6, 3, 4, 4], DType.Float64);
        Assert.Equal([2, 3, 11, 14], F.ConvTranspose2d(x, t, null, new Conv2dArgs(2, 2, 1, 1), 1, 0).Shape);
        Assert.Equal([2, 6, 8, 10], F.ConvTranspose2d(x, Tensor.Zeros([6, 3, 4, 4], DType.Float64), stride: 1, padding: 0, groups: 2).Shape);
    }

    [Fact]
    public void Conv2d_MismatchedShapes_NameTheOpAndShapes()
    {
        var x = Tensor.Zeros([1, 4, 5, 5], DType.Float64);
        var e = Assert.Throws<ArgumentException>(() => F.Conv2d(x, Tensor.Zeros([2, 3, 3, 3], DType.Float64)));
        Assert.Contains("conv2d", e.Message);
        Assert.Contains("[1, 4, 5, 5]", e.Message);
        Assert.Contains("[2, 3, 3, 3]", e.Message);
        e = Assert.Throws<ArgumentException>(() => F.Conv2d(x, Tensor.Zeros([2, 4, 7, 7], DType.Float64)));
        Assert.Contains("smaller than the dilated kernel", e.Message);
        e = Assert.Throws<ArgumentException>(() => F.ConvTranspose2d(x, Tensor.Zeros([4, 2, 3, 3], DType.Float64), stride: 2, outputPadding: 2));
        Assert.Contains("conv_transpose2d", e.Message);
    }

    // x [N, C, H, W], O, kH, kW, stride, padding, dilation, groups, bias: odd sizes, every knob.
    public static TheoryData<int[], int, int, int, Conv2dArgs, bool> ConvCases => new()
    {
        { [2, 3, 5, 7], 4, 3, 3, new Conv2dArgs(1, 1), true },
        { [2, 3, 5, 7], 4, 3, 3, new Conv2dArgs(2, 2, 1, 1), false },
        { [1, 2, 7, 6], 3, 2, 3, new Conv2dArgs(3, 3, 2, 2), true },
        { [2, 4, 6, 5], 4, 3, 2, new Conv2dArgs(1, 1, 1, 1, 2, 2, Groups: 2), true },
        { [1, 6, 5, 7], 3, 1, 3, new Conv2dArgs(2, 2, 2, 2, 2, 2, Groups: 3), true },
        { [2, 3, 5, 5], 6, 3, 3, new Conv2dArgs(2, 2, 0, 0, Groups: 3), false },
        { [1, 2, 6, 7], 2, 3, 2, new Conv2dArgs(StrideH: 1, StrideW: 2, PadH: 2, PadW: 0, DilationH: 2, DilationW: 1), true },
        { [2, 2, 5, 4], 3, 4, 4, new Conv2dArgs(2, 2, 1, 1), true },
        // The window covers the whole image: the batched Linear route (stride has no effect there).
        { [3, 3, 3, 4], 4, 3, 4, new Conv2dArgs(1, 1), true },
        { [2, 4, 2, 3], 6, 2, 3, new Conv2dArgs(2, 2, Groups: 2), false },
        // One output position, but padded or dilated: not the Linear route.
        { [2, 3, 2, 2], 2, 4, 4, new Conv2dArgs(1, 1, 1, 1), true },
        { [2, 2, 4, 4], 3, 2, 2, new Conv2dArgs(1, 1, 0, 0, 3, 3), false },
    };

    [Theory]
    [MemberData(nameof(ConvCases))]
    public void Conv2d_Backward_MatchesFiniteDifferences(int[] xShape, int o, int kh, int kw, Conv2dArgs args, bool withBias)
    {
        var x = Leaf(1, xShape);
        var w = Leaf(2, o, xShape[1] / args.Groups, kh, kw);
        var b = Leaf(3, o);
        var name = $"conv2d x{Shape.Format(xShape)} w{Shape.Format(w.Shape)} {args} bias={withBias}";
        if (withBias) GradCheck.Check(name, t => F.Conv2d(t[0], t[1], t[2], args), x, w, b);
        else GradCheck.Check(name, t => F.Conv2d(t[0], t[1], null, args), x, w);
    }

    [Theory]
    [MemberData(nameof(ConvCases))]
    public void Conv2d_Forward_MatchesDirectLoops(int[] xShape, int o, int kh, int kw, Conv2dArgs args, bool withBias)
    {
        var x = Leaf(4, xShape);
        var w = Leaf(5, o, xShape[1] / args.Groups, kh, kw);
        var b = withBias ? Leaf(6, o) : null;
        var (expected, shape) = Reference.Conv2d(x, w, b, args);
        var y = F.Conv2d(x, w, b, args);
        Assert.Equal(shape, y.Shape);
        AssertClose($"conv2d {args}", expected, y.ToDoubleArray(), 1e-12);
        var y32 = F.Conv2d(x.To(DType.Float32), w.To(DType.Float32), b?.To(DType.Float32), args);
        AssertClose($"conv2d float32 {args}", expected, y32.ToDoubleArray(), 1e-5);
    }

    [Fact]
    public void Conv2d_OnNonContiguousInputs_MatchesFiniteDifferences()
    {
        // x arrives as a permuted view ([C, N, H, W] storage) and as a strided slice; w as a transpose.
        var x = Leaf(7, 3, 2, 6, 5);
        var w = Leaf(8, 3, 4, 3, 3);
        var b = Leaf(9, 4);
        GradCheck.Check("conv2d on permuted x, transposed w", t => F.Conv2d(t[0].Permute(1, 0, 2, 3), t[1].Transpose(0, 1), t[2], padding: 1), x, w, b);
        GradCheck.Check("conv2d on sliced x", t => F.Conv2d(t[0].Permute(1, 0, 2, 3).Slice(3, 0, 5, 2), t[1].Transpose(0, 1), null, stride: 2, padding: 1), x, w);
    }

    /// <summary>Above the threading threshold the batch is split into chunks with their own partial filter
    /// gradients; the results must equal those of one image at a time (which never splits).</summary>
    [Fact]
    public void Conv2d_ThreadedBatch_EqualsSingleImages()
    {
        var args = new Conv2dArgs(2, 2, 1, 1, Groups: 2);
        var x = Leaf(10, 7, 8, 15, 13);
        var w = Leaf(11, 12, 4, 4, 3);
        var y = F.Conv2d(x, w, null, args);
        var dy = GradCheck.Random(y.Shape, 12);
        F.Sum(F.Mul(y, dy)).Backward();
        var dx = x.Grad!.ToDoubleArray();
        var dwSum = new double[w.NumEl];
        var ys = new List<double>();
        var dxs = new List<double>();
        for (int n = 0; n < 7; n++)
        {
            var xn = Doubles(x.Slice(0, n, n + 1).Contiguous().ToDoubleArray(), 1, 8, 15, 13);
            xn.RequiresGrad = true;
            var wn = Doubles(w.ToDoubleArray(), w.Shape);
            wn.RequiresGrad = true;
            var yn = F.Conv2d(xn, wn, null, args);
            ys.AddRange(yn.ToDoubleArray());
            F.Sum(F.Mul(yn, dy.Slice(0, n, n + 1))).Backward();
            dxs.AddRange(xn.Grad!.ToDoubleArray());
            var dwn = wn.Grad!.ToDoubleArray();
            for (int i = 0; i < dwSum.Length; i++) dwSum[i] += dwn[i];
        }
        AssertClose("conv2d threaded y", [.. ys], y.ToDoubleArray(), 1e-12);
        AssertClose("conv2d threaded dx", [.. dxs], dx, 1e-12);
        AssertClose("conv2d threaded dw", dwSum, w.Grad!.ToDoubleArray(), 1e-12);
    }

    // x [N, C, H, W], O, kH, kW, geometry: batches big enough for several blocks of images per chunk and a
    // remainder block (L = 4 puts up to 256 images in one GEMM), the Linear route over a batch, and wide rows.
    public static TheoryData<int[], int, int, int, Conv2dArgs> BatchedCases => new()
    {
        { [601, 4, 4, 4], 6, 3, 3, new Conv2dArgs(2, 2, 1, 1, Groups: 2) },
        { [45, 3, 9, 7], 5, 3, 2, new Conv2dArgs(1, 2, 1, 0, 2, 1) },
        { [37, 6, 4, 4], 4, 4, 4, new Conv2dArgs(1, 1, Groups: 2) },
        // Wide rows at stride 2 take im2col's vector deinterleave (float) with an odd and an even column padding.
        { [5, 3, 9, 53], 4, 3, 4, new Conv2dArgs(2, 2, 1, 3) },
        { [4, 2, 5, 40], 3, 2, 5, new Conv2dArgs(1, 2, 0, 2) },
    };

    /// <summary>All three directions on whole batches, float64 and float32 against direct loops in double.</summary>
    [Theory]
    [MemberData(nameof(BatchedCases))]
    public void Conv2d_BatchedBlocks_MatchDirectLoops(int[] xShape, int o, int kh, int kw, Conv2dArgs args)
    {
        var x = GradCheck.Random(xShape, 20);
        var w = GradCheck.Random([o, xShape[1] / args.Groups, kh, kw], 21);
        var (expected, shape) = Reference.Conv2d(x, w, null, args);
        var dy = GradCheck.Random(shape, 22);
        var (dxExpected, dwExpected) = Reference.Conv2dGradients(x, w, dy, args);
        foreach (var (dtype, tol) in new[] { (DType.Float64, 1e-12), (DType.Float32, 1e-4) })
        {
            var cpu = Backends.Cpu.CpuBackend.Instance;
            var (xt, wt, dyt) = (x.To(dtype), w.To(dtype), dy.To(dtype));
            var (y, dx, dw) = (Tensor.Zeros(shape, dtype), Tensor.Zeros(x.Shape, dtype), Tensor.Zeros(w.Shape, dtype));
            cpu.Conv2dForward(y, xt, wt, args);
            cpu.Conv2dBackwardData(dx, dyt, wt, args);
            cpu.Conv2dBackwardFilter(dw, dyt, xt, args);
            AssertClose($"batched conv2d {dtype} y", expected, y.ToDoubleArray(), tol);
            AssertClose($"batched conv2d {dtype} dx", dxExpected, dx.ToDoubleArray(), tol);
            AssertClose($"batched conv2d {dtype} dw", dwExpected, dw.ToDoubleArray(), tol);
            // Fixed chunks and blocks, partial sums added in chunk order: a second run gives the same bits.
            var dwAgain = Tensor.Zeros(w.Shape, dtype);
            cpu.Conv2dBackwardFilter(dwAgain, dyt, xt, args);
            Assert.Equal(dw.ToDoubleArray(), dwAgain.ToDoubleArray());
        }
    }

    // ---------------------------------------------------------------- conv_transpose2d

    [Fact]
    public void ConvTranspose2d_Forward_MatchesHandComputedValues()
    {
        var x = Doubles([1, 2, 3, 4], 1, 1, 2, 2);
        var ones = Doubles([1, 1, 1, 1], 1, 1, 2, 2);
        // Stride 2 with a 2x2 kernel of ones: each input pixel becomes a 2x2 block.
        Assert.Equal([1.0, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4], F.ConvTranspose2d(x, ones, stride: 2).ToDoubleArray());
        // Stride 1: the blocks overlap and add up.
        Assert.Equal([1.0, 3, 2, 4, 10, 6, 3, 7, 4], F.ConvTranspose2d(x, ones).ToDoubleArray());
        // output_padding 1 adds a row and a column that no input reaches: they hold only the bias.
        var y = F.ConvTranspose2d(x, ones, Doubles([10], 1), stride: 2, outputPadding: 1);
        Assert.Equal([1, 1, 5, 5], y.Shape);
        Assert.Equal([11.0, 11, 12, 12, 10, 11, 11, 12, 12, 10, 13, 13, 14, 14, 10, 13, 13, 14, 14, 10, 10, 10, 10, 10, 10], y.ToDoubleArray());
        // Padding 1 crops one row and column at the start and, with output_padding 1, none at the end:
        // rows and columns 1..3 of the stride-2 result.
        Assert.Equal([1.0, 2, 2, 3, 4, 4, 3, 4, 4], F.ConvTranspose2d(x, ones, stride: 2, padding: 1, outputPadding: 1).ToDoubleArray());
    }

    // x [N, Cin, H, W], Cout, kH, kW, geometry, output padding, bias.
    public static TheoryData<int[], int, int, int, Conv2dArgs, int, bool> TransposedCases => new()
    {
        { [2, 3, 4, 5], 2, 3, 3, new Conv2dArgs(1, 1), 0, true },
        { [2, 4, 3, 4], 4, 4, 4, new Conv2dArgs(2, 2, 1, 1), 0, true },
        { [1, 4, 3, 3], 6, 3, 2, new Conv2dArgs(2, 2, 1, 1, Groups: 2), 1, false },
        { [2, 3, 3, 4], 3, 3, 3, new Conv2dArgs(3, 3, 2, 2, Groups: 3), 1, true },
        { [1, 2, 4, 3], 2, 2, 2, new Conv2dArgs(1, 1, 1, 1, 2, 2), 1, true },
        { [1, 2, 3, 5], 3, 2, 3, new Conv2dArgs(StrideH: 2, StrideW: 1, PadH: 0, PadW: 1), 1, true },
        // From a 1x1 input, DCGAN's first layer: the Linear route; with output padding the kernel no longer covers it.
        { [3, 5, 1, 1], 4, 4, 4, new Conv2dArgs(1, 1), 0, false },
        { [2, 4, 1, 1], 6, 3, 2, new Conv2dArgs(2, 2, Groups: 2), 0, true },
        { [2, 4, 1, 1], 2, 3, 3, new Conv2dArgs(2, 2), 1, false },
    };

    /// <summary>outputPadding on both axes, except on a width axis of stride and dilation 1, where PyTorch's
    /// limit output_padding &lt; max(stride, dilation) allows none.</summary>
    private static Tensor Transposed(Tensor x, Tensor w, Tensor? b, Conv2dArgs args, int outputPadding) =>
        F.ConvTranspose2d(x, w, b, args, outputPadding,
            outputPadding < Math.Max(args.StrideW, args.DilationW) ? outputPadding : 0);

    [Theory]
    [MemberData(nameof(TransposedCases))]
    public void ConvTranspose2d_Backward_MatchesFiniteDifferences(int[] xShape, int cout, int kh, int kw, Conv2dArgs args, int outputPadding, bool withBias)
    {
        var x = Leaf(13, xShape);
        var w = Leaf(14, xShape[1], cout / args.Groups, kh, kw);
        var b = Leaf(15, cout);
        var name = $"conv_transpose2d x{Shape.Format(xShape)} w{Shape.Format(w.Shape)} {args} output_padding={outputPadding} bias={withBias}";
        if (withBias) GradCheck.Check(name, t => Transposed(t[0], t[1], t[2], args, outputPadding), x, w, b);
        else GradCheck.Check(name, t => Transposed(t[0], t[1], null, args, outputPadding), x, w);
    }

    [Theory]
    [MemberData(nameof(TransposedCases))]
    public void ConvTranspose2d_Forward_MatchesDirectLoops(int[] xShape, int cout, int kh, int kw, Conv2dArgs args, int outputPadding, bool withBias)
    {
        var x = Leaf(16, xShape);
        var w = Leaf(17, xShape[1], cout / args.Groups, kh, kw);
        var b = withBias ? Leaf(18, cout) : null;
        int opW = outputPadding < Math.Max(args.StrideW, args.DilationW) ? outputPadding : 0;
        var (expected, shape) = Reference.ConvTranspose2d(x, w, b, args, outputPadding, opW);
        var y = Transposed(x, w, b, args, outputPadding);
        Assert.Equal(shape, y.Shape);
        AssertClose($"conv_transpose2d {args}", expected, y.ToDoubleArray(), 1e-12);
        var y32 = Transposed(x.To(DType.Float32), w.To(DType.Float32), b?.To(DType.Float32), args, outputPadding);
        AssertClose($"conv_transpose2d float32 {args}", expected, y32.ToDoubleArray(), 1e-5);
    }

    // ---------------------------------------------------------------- batch norm

    [Theory]
    [InlineData(new[] { 5, 3 }, true)]
    [InlineData(new[] { 3, 2, 5 }, false)]
    [InlineData(new[] { 2, 3, 3, 4 }, true)]
    public void BatchNorm_Training_MatchesFiniteDifferences(int[] xShape, bool withRunningStats)
    {
        int c = xShape[1];
        var x = GradCheck.Leaf(xShape, 20, -2, 3);
        var gamma = GradCheck.Leaf([c], 21, 0.5, 1.5);
        var beta = Leaf(22, c);
        var rm = withRunningStats ? Tensor.Zeros([c], DType.Float64) : null;
        var rv = withRunningStats ? Tensor.Ones([c], DType.Float64) : null;
        GradCheck.Check($"batch_norm train x{Shape.Format(xShape)}", t => F.BatchNorm(t[0], t[1], t[2], rm, rv, training: true), x, gamma, beta);
    }

    [Theory]
    [InlineData(new[] { 4, 3 })]
    [InlineData(new[] { 2, 3, 4 })]
    [InlineData(new[] { 2, 2, 3, 5 })]
    public void BatchNorm_Eval_MatchesFiniteDifferences(int[] xShape)
    {
        int c = xShape[1];
        var x = Leaf(23, xShape);
        var gamma = GradCheck.Leaf([c], 24, 0.5, 1.5);
        var beta = Leaf(25, c);
        var rm = GradCheck.Random([c], 26);
        var rv = GradCheck.Random([c], 27, 0.2, 2);
        GradCheck.Check($"batch_norm eval x{Shape.Format(xShape)}", t => F.BatchNorm(t[0], t[1], t[2], rm, rv, training: false, eps: 1e-3), x, gamma, beta);
    }

    [Fact]
    public void BatchNorm_Training_UpdatesRunningStats_AndNormalisesByBatchStats()
    {
        // [N = 2, C = 2, L = 3]: channel 0 holds 1..6, channel 1 holds 10, 10, 10, 40, 40, 40.
        var x = Doubles([1, 2, 3, 10, 10, 10, 4, 5, 6, 40, 40, 40], 2, 2, 3);
        var gamma = Doubles([2, 1], 2);
        var beta = Doubles([0.5, -1], 2);
        var rm = Doubles([1, -1], 2);
        var rv = Doubles([2, 0.5], 2);
        var y = F.BatchNorm(x, gamma, beta, rm, rv, training: true, momentum: 0.1, eps: 1e-5);
        // Channel 0: mean 3.5, biased var 17.5 / 6, unbiased 17.5 / 5. Channel 1: mean 25, biased var 225, unbiased 270.
        AssertClose("running_mean", [0.9 * 1 + 0.1 * 3.5, 0.9 * -1 + 0.1 * 25], rm.ToDoubleArray(), 1e-14);
        AssertClose("running_var", [0.9 * 2 + 0.1 * 3.5, 0.9 * 0.5 + 0.1 * 270], rv.ToDoubleArray(), 1e-14);
        double s0 = 2 / Math.Sqrt(17.5 / 6 + 1e-5), s1 = 1 / Math.Sqrt(225 + 1e-5);
        double[] expected = [
            (1 - 3.5) * s0 + 0.5, (2 - 3.5) * s0 + 0.5, (3 - 3.5) * s0 + 0.5, -15 * s1 - 1, -15 * s1 - 1, -15 * s1 - 1,
            (4 - 3.5) * s0 + 0.5, (5 - 3.5) * s0 + 0.5, (6 - 3.5) * s0 + 0.5, 15 * s1 - 1, 15 * s1 - 1, 15 * s1 - 1];
        AssertClose("batch_norm train y", expected, y.ToDoubleArray(), 1e-12);

        // Eval with the updated running stats: y = gamma (x - rm) / sqrt(rv + eps) + beta.
        var ye = F.BatchNorm(x, gamma, beta, rm, rv, training: false, eps: 1e-5);
        double m0 = 1.25, v0 = 2.15, m1 = 1.6, v1 = 27.45;
        var xs = x.ToDoubleArray();
        var evalExpected = xs.Select((v, i) => (i / 3) % 2 == 0 ? 2 * (v - m0) / Math.Sqrt(v0 + 1e-5) + 0.5 : (v - m1) / Math.Sqrt(v1 + 1e-5) - 1).ToArray();
        AssertClose("batch_norm eval y", evalExpected, ye.ToDoubleArray(), 1e-12);
        AssertClose("eval leaves running_mean alone", [m0, m1], rm.ToDoubleArray(), 1e-14);
    }

    [Fact]
    public void BatchNorm_Float32_WithALargeMean_StaysAccurate()
    {
        // Statistics accumulate in double with a two-pass variance, so an offset of 1e4 costs no digits
        // beyond float32's own rounding of the input.
        var data = GradCheck.Random([8, 3, 5, 5], 28).ToDoubleArray().Select(v => 1e4 + v).ToArray();
        var x = Tensor.FromArray(data.Select(v => (float)v).ToArray(), [8, 3, 5, 5]);
        var y = F.BatchNorm(x, Tensor.Ones([3]), Tensor.Zeros([3]), null, null, training: true).ToDoubleArray();
        var reference = F.BatchNorm(Doubles(data.Select(v => (double)(float)v).ToArray(), 8, 3, 5, 5),
            Tensor.Ones([3], DType.Float64), Tensor.Zeros([3], DType.Float64), null, null, training: true).ToDoubleArray();
        AssertClose("batch_norm float32 at mean 1e4", reference, y, 1e-5);
    }

    [Theory]
    [InlineData(new[] { 5, 3 }, 0.2)]
    [InlineData(new[] { 3, 2, 5 }, 0.0)]
    [InlineData(new[] { 2, 3, 3, 4 }, 0.2)]
    public void BatchNormLeakyRelu_MatchesFiniteDifferences(int[] xShape, double slope)
    {
        int c = xShape[1];
        var x = GradCheck.Leaf(xShape, 30, -2, 3);
        var gamma = GradCheck.Leaf([c], 31, 0.5, 1.5);
        var beta = Leaf(32, c);
        GradCheck.Check($"batch_norm_leaky_relu({slope}) x{Shape.Format(xShape)}",
            t => F.BatchNormLeakyRelu(t[0], t[1], t[2], null, null, slope), x, gamma, beta);
    }

    /// <summary>The fused op is the pair it replaces: the same outputs, gradients and running statistics,
    /// to the last bits in float64 and within float32 rounding in float32 (the pair rounds the
    /// normalised value once more).</summary>
    [Theory]
    [InlineData(DType.Float64, 0.2, 1e-14)]
    [InlineData(DType.Float64, 0.0, 1e-14)]
    [InlineData(DType.Float32, 0.2, 1e-6)]
    public void BatchNormLeakyRelu_EqualsBatchNormThenLeakyRelu(DType dtype, double slope, double tol)
    {
        int[] shape = [6, 4, 5, 3];
        (double[] Y, double[] Dx, double[] DGamma, double[] DBeta, double[] RunningMean, double[] RunningVar) Run(bool fused)
        {
            Tensor Param(Tensor t)
            {
                var p = t.To(dtype);
                p.RequiresGrad = true;
                return p;
            }
            var x = Param(GradCheck.Random(shape, 33, -2, 3));
            var gamma = Param(GradCheck.Random([4], 34, 0.5, 1.5));
            var beta = Param(GradCheck.Random([4], 35));
            var rm = Tensor.Zeros([4], dtype);
            var rv = Tensor.Ones([4], dtype);
            var y = fused
                ? F.BatchNormLeakyRelu(x, gamma, beta, rm, rv, slope, momentum: 0.3)
                : F.LeakyRelu(F.BatchNorm(x, gamma, beta, rm, rv, training: true, momentum: 0.3), slope);
            (y * GradCheck.Random(shape, 36).To(dtype)).Sum().Backward();
            return (y.ToDoubleArray(), x.Grad!.ToDoubleArray(), gamma.Grad!.ToDoubleArray(), beta.Grad!.ToDoubleArray(), rm.ToDoubleArray(), rv.ToDoubleArray());
        }
        var pair = Run(fused: false);
        var fusedRun = Run(fused: true);
        AssertClose("y", pair.Y, fusedRun.Y, tol);
        AssertClose("dx", pair.Dx, fusedRun.Dx, tol);
        AssertClose("dgamma", pair.DGamma, fusedRun.DGamma, tol);
        AssertClose("dbeta", pair.DBeta, fusedRun.DBeta, tol);
        AssertClose("running mean", pair.RunningMean, fusedRun.RunningMean, tol);
        AssertClose("running var", pair.RunningVar, fusedRun.RunningVar, tol);
    }

    // ---------------------------------------------------------------- bias + activation

    [Theory]
    [InlineData(new[] { 5, 3 }, false, 0.2)]
    [InlineData(new[] { 3, 2, 5 }, true, 1.0)]
    [InlineData(new[] { 2, 3, 3, 4 }, true, 0.5)]
    [InlineData(new[] { 2, 3, 3, 4 }, false, 0.0)]
    public void BiasActivation_MatchesFiniteDifferences(int[] xShape, bool elu, double parameter)
    {
        var x = GradCheck.Leaf(xShape, 37, -2, 2);
        var bias = Leaf(38, xShape[1]);
        GradCheck.Check($"bias_{(elu ? "elu" : "leaky_relu")}({parameter}) x{Shape.Format(xShape)}",
            t => elu ? F.BiasElu(t[0], t[1], parameter) : F.BiasLeakyRelu(t[0], t[1], parameter), x, bias);
    }

    /// <summary>The fused op gives the bits of the bias add and activation it replaces (the same element
    /// formulas); only the bias gradient, a sum, may add up in another order.</summary>
    [Theory]
    [InlineData(DType.Float32, true, 1.0)]
    [InlineData(DType.Float32, false, 0.2)]
    [InlineData(DType.Float64, false, 0.0)]
    public void BiasActivation_EqualsBiasAddThenActivation(DType dtype, bool elu, double parameter)
    {
        int[] shape = [4, 6, 5, 7];
        (double[] Y, double[] Dx, double[] DBias) Run(bool fused)
        {
            var x = GradCheck.Random(shape, 39, -2, 2).To(dtype);
            var bias = GradCheck.Random([6], 40).To(dtype);
            x.RequiresGrad = true;
            bias.RequiresGrad = true;
            var z = x + bias.Reshape(1, 6, 1, 1);
            var y = (fused, elu) switch
            {
                (true, true) => F.BiasElu(x, bias, parameter),
                (true, false) => F.BiasLeakyRelu(x, bias, parameter),
                (false, true) => F.Elu(z, parameter),
                (false, false) => F.LeakyRelu(z, parameter),
            };
            (y * GradCheck.Random(shape, 41).To(dtype)).Sum().Backward();
            return (y.ToDoubleArray(), x.Grad!.ToDoubleArray(), bias.Grad!.ToDoubleArray());
        }
        var pair = Run(fused: false);
        var fusedRun = Run(fused: true);
        // Relu's pair writes +0 where the fused op writes z * 0 = -0: equal as numbers.
        Assert.Equal(pair.Y, fusedRun.Y);
        Assert.Equal(pair.Dx, fusedRun.Dx);
        AssertClose("dbias", pair.DBias, fusedRun.DBias, dtype == DType.Float32 ? 1e-6 : 1e-14);
    }

    [Fact]
    public void BatchNorm_InvalidUse_NamesTheProblem()
    {
        var x = Tensor.Zeros([1, 3], DType.Float64);
        var g = Tensor.Ones([3], DType.Float64);
        var e = Assert.Throws<ArgumentException>(() => F.BatchNorm(x, g, g, null, null, training: true));
        Assert.Contains("more than one value per channel", e.Message);
        e = Assert.Throws<ArgumentException>(() => F.BatchNorm(Tensor.Zeros([4, 3], DType.Float64), g, g, null, null, training: false));
        Assert.Contains("running stats", e.Message);
        e = Assert.Throws<ArgumentException>(() => F.BatchNorm(Tensor.Zeros([4, 2], DType.Float64), g, g, null, null, training: true));
        Assert.Contains("[3]", e.Message);
    }

    public static TheoryData<int[]> BatchNormSimdShapes => new()
    {
        { new[] { 2, 3, 1, 1 } },     // planes of one element: all tail
        { new[] { 3, 5, 7, 3 } },     // planes of 21: whole vectors and a tail
        { new[] { 4, 2, 16, 17 } },
        { new[] { 16, 4, 32, 33 } },  // channels split across cores
    };

    [Theory]
    [MemberData(nameof(BatchNormSimdShapes))]
    public void BatchNorm_Simd_MatchesTheScalarLoops(int[] shape)
    {
        CheckBatchNormAgainstScalar<double>(shape, tol: 1e-13);
        // float32 results are rounded from double; a different order of additions may move one by an ulp.
        CheckBatchNormAgainstScalar<float>(shape, tol: 2.5e-7);
    }

    /// <summary>Training forward (with running stats) and backward against the two-pass double loops the
    /// backend used before SIMD, written out element by element.</summary>
    private static void CheckBatchNormAgainstScalar<T>(int[] shape, double tol) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = shape[0], c = shape[1], hw = Shape.NumEl(shape) / (n * c);
        long m = (long)n * hw;
        const double momentum = 0.1, eps = 1e-5;
        var dtype = typeof(T) == typeof(float) ? DType.Float32 : DType.Float64;
        T[] Draw(int[] s, int seed, double low, double high) =>
            GradCheck.Random(s, seed, low, high).ToDoubleArray().Select(T.CreateTruncating).ToArray();
        Tensor Of(T[] v, int[] s) => v is float[] f ? Tensor.FromArray(f, s) : Tensor.FromArray((double[])(object)v, s);
        T[] x = Draw(shape, 40, -1, 3), dy = Draw(shape, 41, -1, 1), g = Draw([c], 42, 0.5, 1.5), beta = Draw([c], 43, -1, 1);
        T[] rm = Draw([c], 44, -1, 1), rv = Draw([c], 45, 0.5, 2);
        double D(T v) => double.CreateTruncating(v);
        int At(int i, int ch, int k) => (i * c + ch) * hw + k;

        var (yRef, meanRef, invStdRef, rmRef, rvRef) = (new double[x.Length], new T[c], new T[c], new double[c], new double[c]);
        var (dxRef, dgRef, dbRef) = (new double[x.Length], new double[c], new double[c]);
        for (int ch = 0; ch < c; ch++)
        {
            double sum = 0, squares = 0;
            for (int i = 0; i < n; i++) for (int k = 0; k < hw; k++) sum += D(x[At(i, ch, k)]);
            double mean = sum / m;
            for (int i = 0; i < n; i++) for (int k = 0; k < hw; k++) squares += (D(x[At(i, ch, k)]) - mean) * (D(x[At(i, ch, k)]) - mean);
            double invStd = 1 / Math.Sqrt(squares / m + eps), scale = D(g[ch]) * invStd;
            for (int i = 0; i < n; i++) for (int k = 0; k < hw; k++)
                yRef[At(i, ch, k)] = D(T.CreateTruncating((D(x[At(i, ch, k)]) - mean) * scale + D(beta[ch])));
            (meanRef[ch], invStdRef[ch]) = (T.CreateTruncating(mean), T.CreateTruncating(invStd));
            rmRef[ch] = D(T.CreateTruncating((1 - momentum) * D(rm[ch]) + momentum * mean));
            rvRef[ch] = D(T.CreateTruncating((1 - momentum) * D(rv[ch]) + momentum * squares / (m - 1)));

            // The backward reads the saved statistics, in the tensor's dtype.
            double sMean = D(meanRef[ch]), sInvStd = D(invStdRef[ch]), sumDy = 0, sumDyXc = 0;
            for (int i = 0; i < n; i++) for (int k = 0; k < hw; k++)
            {
                sumDy += D(dy[At(i, ch, k)]);
                sumDyXc += D(dy[At(i, ch, k)]) * (D(x[At(i, ch, k)]) - sMean);
            }
            double sumDyXhat = sumDyXc * sInvStd, a = D(g[ch]) * sInvStd;
            double b = -a * sInvStd * sumDyXhat / m, shift = -a * sumDy / m;
            dbRef[ch] = D(T.CreateTruncating(sumDy));
            dgRef[ch] = D(T.CreateTruncating(sumDyXhat));
            for (int i = 0; i < n; i++) for (int k = 0; k < hw; k++)
                dxRef[At(i, ch, k)] = D(T.CreateTruncating(a * D(dy[At(i, ch, k)]) + b * (D(x[At(i, ch, k)]) - sMean) + shift));
        }

        var backend = CpuBackend.Instance;
        Tensor xt = Of(x, shape), gt = Of(g, [c]), rmt = Of(rm, [c]), rvt = Of(rv, [c]);
        Tensor y = Tensor.Empty(shape, dtype), savedMean = Tensor.Empty([c], dtype), savedInvStd = Tensor.Empty([c], dtype);
        backend.BatchNormForwardTraining(y, savedMean, savedInvStd, xt, gt, Of(beta, [c]), rmt, rvt, momentum, eps);
        string what = $"batch_norm {typeof(T).Name} {Shape.Format(shape)}";
        AssertClose($"{what} y", yRef, y.ToDoubleArray(), tol);
        AssertClose($"{what} saved mean", meanRef.Select(D).ToArray(), savedMean.ToDoubleArray(), tol);
        AssertClose($"{what} saved invstd", invStdRef.Select(D).ToArray(), savedInvStd.ToDoubleArray(), tol);
        AssertClose($"{what} running_mean", rmRef, rmt.ToDoubleArray(), tol);
        AssertClose($"{what} running_var", rvRef, rvt.ToDoubleArray(), tol);

        Tensor dx = Tensor.Empty(shape, dtype), dg = Tensor.Empty([c], dtype), db = Tensor.Empty([c], dtype);
        backend.BatchNormBackward(dx, dg, db, Of(dy, shape), xt, gt, Of(meanRef, [c]), Of(invStdRef, [c]));
        AssertClose($"{what} dx", dxRef, dx.ToDoubleArray(), tol);
        AssertClose($"{what} dgamma", dgRef, dg.ToDoubleArray(), tol);
        AssertClose($"{what} dbeta", dbRef, db.ToDoubleArray(), tol);
    }

    // ---------------------------------------------------------------- upsampling and pooling

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void UpsampleNearest_MatchesFiniteDifferences(int scale)
    {
        var x = Leaf(30, 2, 3, 3, 4);
        GradCheck.Check($"upsample_nearest x{scale}", t => F.UpsampleNearest(t[0], scale), x);
        GradCheck.Check($"upsample_nearest x{scale} of a permuted x", t => F.UpsampleNearest(t[0].Permute(0, 1, 3, 2), scale), x);
    }

    [Fact]
    public void UpsampleNearest_Forward_RepeatsEachPixel()
    {
        var y = F.UpsampleNearest(Doubles([1, 2, 3, 4, 5, 6], 1, 1, 2, 3), 2);
        Assert.Equal([1, 1, 4, 6], y.Shape);
        Assert.Equal([1.0, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 4, 4, 5, 5, 6, 6], y.ToDoubleArray());
    }

    [Fact]
    public void MaxPool2d_MatchesFiniteDifferences()
    {
        // Distinct random values: no ties, and no two within the finite-difference step.
        var x = Leaf(31, 2, 2, 7, 6);
        GradCheck.Check("max_pool2d k3 s2 p1", t => F.MaxPool2d(t[0], 3, 2, 1), x);
        GradCheck.Check("max_pool2d k2", t => F.MaxPool2d(t[0], 2), x);
        GradCheck.Check("max_pool2d k(2,3) s(1,2) p(1,1)", t => F.MaxPool2d(t[0], new Pool2dArgs(2, 3, 1, 2, 1, 1)), x);
        GradCheck.Check("max_pool2d of a transposed x", t => F.MaxPool2d(t[0].Transpose(2, 3), 3, 1, 1), x);
    }

    [Fact]
    public void MaxPool2d_Forward_AndGradientToTheFirstMaximum()
    {
        var x = Doubles([1, 5, 2, 0, 3, 4, 8, 8, 9, 1, 1, 1, 0, 2, 3, 7], 1, 1, 4, 4);
        x.RequiresGrad = true;
        var y = F.MaxPool2d(x, 2);
        Assert.Equal([5.0, 8, 9, 7], y.ToDoubleArray());
        F.Sum(y).Backward();
        // The window [[2, 0], [8, 8]] has two maxima: only the first in row-major order gets the gradient.
        Assert.Equal([0.0, 1, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1], x.Grad!.ToDoubleArray());
        // Padding is -inf: a corner window of all-negative values still returns its own maximum.
        var neg = Doubles([-5, -4, -3, -2], 1, 1, 2, 2);
        Assert.Equal([-5.0, -4, -4, -3, -2, -2, -3, -2, -2], F.MaxPool2d(neg, 2, 1, 1).ToDoubleArray());
    }

    [Fact]
    public void AvgPool2d_MatchesFiniteDifferences()
    {
        var x = Leaf(32, 2, 2, 7, 6);
        GradCheck.Check("avg_pool2d k3 s2 p1", t => F.AvgPool2d(t[0], 3, 2, 1), x);
        GradCheck.Check("avg_pool2d k2", t => F.AvgPool2d(t[0], 2), x);
        GradCheck.Check("avg_pool2d k(3,2) s(2,1) p(1,1)", t => F.AvgPool2d(t[0], new Pool2dArgs(3, 2, 2, 1, 1, 1)), x);
    }

    [Fact]
    public void AvgPool2d_CountsPaddingInTheDivisor()
    {
        // 3x3 ones, kernel 3, stride 1, padding 1: a corner window covers 4 ones, an edge 6, the centre 9, all over 9.
        var y = F.AvgPool2d(Tensor.Ones([1, 1, 3, 3], DType.Float64), 3, 1, 1);
        AssertClose("avg_pool2d count_include_pad", [4 / 9.0, 6 / 9.0, 4 / 9.0, 6 / 9.0, 1, 6 / 9.0, 4 / 9.0, 6 / 9.0, 4 / 9.0], y.ToDoubleArray(), 1e-15);
    }

    [Fact]
    public void Pooling_RejectsPaddingOverHalfTheKernel()
    {
        var e = Assert.Throws<ArgumentException>(() => F.MaxPool2d(Tensor.Zeros([1, 1, 4, 4]), 2, 1, 2));
        Assert.Contains("max_pool2d", e.Message);
    }

    // ---------------------------------------------------------------- float32

    /// <summary>Every op's forward and backward in float32 against the float64 result on the same data.</summary>
    [Fact]
    public void Float32_AgreesWithFloat64()
    {
        (string Name, Func<Tensor[], Tensor> F, int[][] Shapes)[] cases =
        [
            ("conv2d", t => F.Conv2d(t[0], t[1], t[2], stride: 2, padding: 1, groups: 2), [[3, 4, 9, 8], [6, 2, 3, 3], [6]]),
            ("conv_transpose2d", t => F.ConvTranspose2d(t[0], t[1], t[2], stride: 2, padding: 1, outputPadding: 1), [[3, 4, 5, 6], [4, 3, 4, 4], [3]]),
            ("batch_norm", t => F.BatchNorm(t[0], t[1], t[2], null, null, training: true), [[4, 3, 5, 5], [3], [3]]),
            ("upsample_nearest", t => F.UpsampleNearest(t[0], 2), [[2, 3, 4, 5]]),
            ("max_pool2d", t => F.MaxPool2d(t[0], 3, 2, 1), [[2, 3, 9, 8]]),
            ("avg_pool2d", t => F.AvgPool2d(t[0], 3, 2, 1), [[2, 3, 9, 8]]),
        ];
        foreach (var (name, f, shapes) in cases)
        {
            var data = shapes.Select((s, i) => GradCheck.Random(s, 40 + i).ToDoubleArray()).ToArray();
            var results = new List<double[]>[2];
            foreach (var dtype in new[] { DType.Float64, DType.Float32 })
            {
                var inputs = shapes.Select((s, i) => Doubles(data[i], s).To(dtype)).ToArray();
                foreach (var t in inputs) t.RequiresGrad = true;
                var y = f(inputs);
                F.Sum(F.Mul(y, GradCheck.Random(y.Shape, 50).To(dtype))).Backward();
                results[(int)dtype] = [y.ToDoubleArray(), .. inputs.Select(t => t.Grad!.ToDoubleArray())];
            }
            for (int k = 0; k < results[0].Count; k++)
                AssertClose($"{name} float32 {(k == 0 ? "output" : $"gradient of input {k - 1}")}", results[(int)DType.Float64][k], results[(int)DType.Float32][k], 2e-5);
        }
    }

    /// <summary>Direct loops from PyTorch's definitions of the ops, for comparing forward values.</summary>
    private static class Reference
    {
        /// <summary>y[n, o, oh, ow] = b[o] + sum over c in o's group, i, j of x[n, c, oh s - p + i d, ow s - p + j d] w[o, c, i, j].</summary>
        public static (double[] Y, int[] Shape) Conv2d(Tensor xt, Tensor wt, Tensor? bt, Conv2dArgs a)
        {
            var x = xt.ToDoubleArray(); var w = wt.ToDoubleArray(); var b = bt?.ToDoubleArray();
            int n = xt.Shape[0], c = xt.Shape[1], h = xt.Shape[2], wd = xt.Shape[3];
            int o = wt.Shape[0], cg = wt.Shape[1], kh = wt.Shape[2], kw = wt.Shape[3], og = o / a.Groups;
            int ho = (h + 2 * a.PadH - a.DilationH * (kh - 1) - 1) / a.StrideH + 1;
            int wo = (wd + 2 * a.PadW - a.DilationW * (kw - 1) - 1) / a.StrideW + 1;
            var y = new double[n * o * ho * wo];
            for (int ni = 0; ni < n; ni++)
            for (int oi = 0; oi < o; oi++)
            for (int oh = 0; oh < ho; oh++)
            for (int ow = 0; ow < wo; ow++)
            {
                double sum = b?[oi] ?? 0;
                for (int ci = 0; ci < cg; ci++)
                for (int i = 0; i < kh; i++)
                for (int j = 0; j < kw; j++)
                {
                    int ih = oh * a.StrideH - a.PadH + i * a.DilationH, iw = ow * a.StrideW - a.PadW + j * a.DilationW;
                    if (ih < 0 || ih >= h || iw < 0 || iw >= wd) continue;
                    int channel = oi / og * cg + ci;
                    sum += x[((ni * c + channel) * h + ih) * wd + iw] * w[((oi * cg + ci) * kh + i) * kw + j];
                }
                y[((ni * o + oi) * ho + oh) * wo + ow] = sum;
            }
            return (y, [n, o, ho, wo]);
        }

        /// <summary>The gradients of <see cref="Conv2d"/> (without bias) for output gradient dy: every product
        /// x[n, c, ih, iw] w[o, ci, i, j] of the forward sum sends dy[n, o, oh, ow] times its other factor back.</summary>
        public static (double[] Dx, double[] Dw) Conv2dGradients(Tensor xt, Tensor wt, Tensor dyt, Conv2dArgs a)
        {
            var x = xt.ToDoubleArray(); var w = wt.ToDoubleArray(); var dy = dyt.ToDoubleArray();
            int n = xt.Shape[0], c = xt.Shape[1], h = xt.Shape[2], wd = xt.Shape[3];
            int o = wt.Shape[0], cg = wt.Shape[1], kh = wt.Shape[2], kw = wt.Shape[3], og = o / a.Groups;
            int ho = dyt.Shape[2], wo = dyt.Shape[3];
            var dx = new double[x.Length];
            var dw = new double[w.Length];
            for (int ni = 0; ni < n; ni++)
            for (int oi = 0; oi < o; oi++)
            for (int oh = 0; oh < ho; oh++)
            for (int ow = 0; ow < wo; ow++)
            {
                double g = dy[((ni * o + oi) * ho + oh) * wo + ow];
                for (int ci = 0; ci < cg; ci++)
                for (int i = 0; i < kh; i++)
                for (int j = 0; j < kw; j++)
                {
                    int ih = oh * a.StrideH - a.PadH + i * a.DilationH, iw = ow * a.StrideW - a.PadW + j * a.DilationW;
                    if (ih < 0 || ih >= h || iw < 0 || iw >= wd) continue;
                    int xi = ((ni * c + oi / og * cg + ci) * h + ih) * wd + iw, wi = ((oi * cg + ci) * kh + i) * kw + j;
                    dx[xi] += g * w[wi];
                    dw[wi] += g * x[xi];
                }
            }
            return (dx, dw);
        }

        /// <summary>Scatter form: input pixel x[n, ci, ih, iw] adds x w[ci, oc, i, j] to output channel
        /// (ci's group) Cout/g + oc at (ih s - p + i d, iw s - p + j d).</summary>
        public static (double[] Y, int[] Shape) ConvTranspose2d(Tensor xt, Tensor wt, Tensor? bt, Conv2dArgs a, int opH, int opW)
        {
            var x = xt.ToDoubleArray(); var w = wt.ToDoubleArray(); var b = bt?.ToDoubleArray();
            int n = xt.Shape[0], cin = xt.Shape[1], h = xt.Shape[2], wd = xt.Shape[3];
            int coutG = wt.Shape[1], kh = wt.Shape[2], kw = wt.Shape[3], cinG = cin / a.Groups, cout = coutG * a.Groups;
            int ho = (h - 1) * a.StrideH - 2 * a.PadH + a.DilationH * (kh - 1) + opH + 1;
            int wo = (wd - 1) * a.StrideW - 2 * a.PadW + a.DilationW * (kw - 1) + opW + 1;
            var y = new double[n * cout * ho * wo];
            for (int ni = 0; ni < n; ni++)
            for (int oc = 0; oc < cout; oc++)
                Array.Fill(y, b?[oc] ?? 0, (ni * cout + oc) * ho * wo, ho * wo);
            for (int ni = 0; ni < n; ni++)
            for (int ci = 0; ci < cin; ci++)
            for (int ih = 0; ih < h; ih++)
            for (int iw = 0; iw < wd; iw++)
            for (int oc = 0; oc < coutG; oc++)
            for (int i = 0; i < kh; i++)
            for (int j = 0; j < kw; j++)
            {
                int oh = ih * a.StrideH - a.PadH + i * a.DilationH, ow = iw * a.StrideW - a.PadW + j * a.DilationW;
                if (oh < 0 || oh >= ho || ow < 0 || ow >= wo) continue;
                int channel = ci / cinG * coutG + oc;
                y[((ni * cout + channel) * ho + oh) * wo + ow] += x[((ni * cin + ci) * h + ih) * wd + iw] * w[((ci * coutG + oc) * kh + i) * kw + j];
            }
            return (y, [n, cout, ho, wo]);
        }
    }
}
