using RawGan.Backends;
using RawGan.Backends.Cpu;
using RawGan.Backends.Cuda;

namespace RawGan.Tests;

/// <summary>
/// Every IBackend method on CUDA against the CPU reference on the same float32 inputs (fresh random
/// inputs per test; the seed is in every failure message). Where main has no CPU version yet
/// (convolution, batch norm, pooling, upsampling: branch spatial), a plain float64 loop here is the
/// reference. Every test skips on a machine where the CUDA backend cannot start.
///
/// Tolerances (|gpu - cpu| &lt;= atol + rtol |cpu| per element unless said otherwise):
/// - exact arithmetic (copies, + - * /, sqrt, relu, optimizers, Philox uniforms): rtol 1e-6;
/// - transcendental functions (exp, log, tanh, pow, sigmoid, softplus, elu, losses): rtol 1e-5, atol 1e-6;
/// - Philox normals: rtol 4e-6, atol 1e-6 (CUDA's logf, sinf, cosf differ from .NET's by an ulp or two);
/// - sums: 1e-5 of the input's L2 norm (error grows as sqrt(n));
/// - matmul, convolution: L2 error 1e-5 of the output's L2 norm in strict float32 (error over norm; the
///   brief's 1e-4 with margin), TF32 5e-3; batch norm 1e-5 of the norm.
/// </summary>
[Collection(nameof(CudaGpu))]
public class CudaVsCpuTests
{
    private readonly int _seed = Random.Shared.Next();
    private readonly Random _rng;

    public CudaVsCpuTests() => _rng = new Random(_seed);

    private static CudaBackend Cuda() => CudaGpu.Require();

    private static CpuBackend Cpu => CpuBackend.Instance;

    // ---- the no-GPU path ----

    [Fact]
    public void WithoutGpu_TheFactoryThrowsCudaUnavailable_NamingWhatIsMissing()
    {
        if (!CudaGpu.Missing) Assert.Skip("a GPU is present: the unavailable path cannot be seen here");
        var e = Assert.Throws<CudaUnavailableException>(() => BackendRegistry.Get(Device.Cuda));
        Assert.Contains("unavailable", e.Message);
        Assert.True(e.Message.Length > 40, e.Message);
    }

    [Fact]
    public void NvrtcCache_KeepsCompiledKernelsOnDisk_ForTheNextStart()
    {
        var cuda = Cuda();
        Tensor.Zeros([5], DType.Float32, Device.Cuda).Dispose(); // fill.cu is compiled (or read) by now
        var dir = cuda.Kernels.CacheDirectory;
        Assert.NotNull(dir);
        var arch = $"sm_{cuda.Info.ComputeMajor}{cuda.Info.ComputeMinor}";
        Assert.True(Directory.GetFiles(dir, "fill-*").Length > 0, $"no cached image of fill.cu in {dir} ({cuda.Kernels.Target}, device {arch})");
    }

    // ---- memory ----

    [Fact]
    public void CopyFromHost_CopyToHost_RoundTrip()
    {
        Cuda();
        var data = Values(1003);
        Assert.Equal(data, Tensor.FromArray(data, [17, 59], Device.Cuda).ToFloatArray());
    }

    [Fact]
    public void Allocate_Float64_IsNotSupported_AndSaysSo()
    {
        Cuda();
        var e = Assert.Throws<NotSupportedException>(() => Tensor.Zeros([3], DType.Float64, Device.Cuda));
        Assert.Contains("float32 only", e.Message);
        Assert.Throws<NotSupportedException>(() => Tensor.Zeros([3], DType.Float32, Device.Cuda).To(DType.Float64));
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-3.25)]
    [InlineData(1e-7)]
    public void Fill_MatchesCpu(double value)
    {
        Cuda();
        foreach (var n in new[] { 1, 3, 4, 1027, 1 << 20 })
            Same($"fill({value})", [n], (b, y) => b.Fill(y[0], value), [], 1, 0, 0);
    }

    [Fact]
    public void Copy_StridedViews_MatchCpu()
    {
        Cuda();
        var data = Values(2 * 3 * 4 * 5);
        foreach (var (name, view) in new (string, Func<Tensor, Tensor>)[]
        {
            ("permute", x => x.Permute(3, 1, 0, 2)),
            ("slice", x => x.Slice(3, 1, 5, 2)),
            ("expand", x => x.Slice(1, 0, 1).Expand(2, 6, 4, 5)),
            ("transpose", x => x.Transpose(0, 2)),
            ("contiguous", x => x),
        })
        {
            float[] Run(Device d)
            {
                var x = Tensor.FromArray(data, [2, 3, 4, 5], d);
                var v = view(x);
                var y = Tensor.Empty(v.Shape, DType.Float32, d);
                y.Backend.Copy(y, v);
                return y.ToFloatArray();
            }
            var expected = Run(Device.Cpu);
            Close($"copy of a {name} view", [expected.Length], expected, Run(Device.Cuda), 0, 0);
        }
    }

    [Fact]
    public void Cast_Float32ToFloat32_Copies()
    {
        Cuda();
        var data = Values(100);
        var x = Tensor.FromArray(data, [100], Device.Cuda);
        var y = Tensor.Empty([100], DType.Float32, Device.Cuda);
        y.Backend.Cast(y, x);
        Assert.Equal(data, y.ToFloatArray());
    }

    // ---- elementwise ----

    [Theory]
    [InlineData(BinaryOp.Add)]
    [InlineData(BinaryOp.Sub)]
    [InlineData(BinaryOp.Mul)]
    [InlineData(BinaryOp.Div)]
    public void Binary_ContiguousAndBroadcast_MatchCpu(BinaryOp op)
    {
        Cuda();
        foreach (var n in new[] { 1, 7, 4096, 1_000_003 })
            Same($"binary {op}", [n], (b, t) => b.Binary(op, t[0], t[1], t[2]), [Values(n), Values(n, 0.5f, 2f)], 1e-6, 0);
        // Broadcast: [37, 1] op [1, 29] and a bias row [64, 300] + [300].
        foreach (var (aShape, bShape) in new (int[], int[])[] { ([37, 1], [1, 29]), ([64, 300], [300]), ([2, 1, 5], [3, 1]) })
        {
            var zShape = Shape.Broadcast(aShape, bShape);
            var a = Values(Shape.NumEl(aShape));
            var bv = Values(Shape.NumEl(bShape), 0.5f, 2f);
            float[] Run(Device d)
            {
                var ta = Tensor.FromArray(a, aShape, d);
                var tb = Tensor.FromArray(bv, bShape, d);
                var z = Tensor.Empty(zShape, DType.Float32, d);
                z.Backend.Binary(op, z, ta.Expand(zShape), tb.Expand(zShape));
                return z.ToFloatArray();
            }
            Close($"binary {op} broadcast {Shape.Format(aShape)} {Shape.Format(bShape)}", zShape, Run(Device.Cpu), Run(Device.Cuda), 1e-6, 0);
        }
    }

    [Theory]
    [InlineData(UnaryOp.Neg, 1e-6, 0.0)]
    [InlineData(UnaryOp.Exp, 1e-5, 1e-6)]
    [InlineData(UnaryOp.Log, 1e-5, 1e-6)]
    [InlineData(UnaryOp.Sqrt, 1e-6, 0.0)]
    [InlineData(UnaryOp.Abs, 1e-6, 0.0)]
    public void Unary_MatchesCpu(UnaryOp op, double rtol, double atol)
    {
        Cuda();
        bool positive = op is UnaryOp.Log or UnaryOp.Sqrt;
        foreach (var n in new[] { 5, 4096, 1_000_001 })
            Same($"unary {op}", [n], (b, t) => b.Unary(op, t[0], t[1]), [positive ? Values(n, 1e-3f, 10f) : Values(n)], rtol, atol);
    }

    [Theory]
    [InlineData(ScalarOp.Add, 0.37, 1e-6, 0.0)]
    [InlineData(ScalarOp.Mul, -1.7, 1e-6, 0.0)]
    [InlineData(ScalarOp.Pow, 2.0, 1e-5, 1e-6)]
    [InlineData(ScalarOp.Pow, 0.5, 1e-5, 1e-6)]
    [InlineData(ScalarOp.Pow, -1.5, 1e-5, 1e-6)]
    public void Scalar_MatchesCpu(ScalarOp op, double s, double rtol, double atol)
    {
        Cuda();
        bool positive = op == ScalarOp.Pow && s != Math.Round(s);
        foreach (var n in new[] { 3, 4096, 100_003 })
            Same($"scalar {op} {s}", [n], (b, t) => b.Scalar(op, t[0], t[1], s), [positive ? Values(n, 0.1f, 3f) : Values(n)], rtol, atol);
    }

    public static TheoryData<string> Activations() =>
        ["relu", "leaky_relu", "elu", "tanh", "sigmoid", "softplus"];

    [Theory]
    [MemberData(nameof(Activations))]
    public void Activation_ForwardAndBackward_MatchCpu(string name)
    {
        Cuda();
        bool exact = name is "relu" or "leaky_relu";
        double rtol = exact ? 1e-6 : 1e-5, atol = exact ? 0 : 1e-6;
        foreach (var n in new[] { 6, 4096, 1_000_002 })
        {
            var x = Values(n, -20f, 20f);
            var dy = Values(n);
            Same($"{name} forward", [n], (b, t) => Forward(b, name, t[0], t[1]), [x], rtol, atol);
            // tanh and sigmoid differentiate through their output y; the others through x.
            var saved = name is "tanh" or "sigmoid" ? Values(n, -0.99f, 0.99f) : x;
            Same($"{name} backward", [n], (b, t) => Backward(b, name, t[0], t[1], t[2]), [dy, saved], rtol, atol);
        }
    }

    private static void Forward(IBackend b, string name, Tensor y, Tensor x)
    {
        switch (name)
        {
            case "relu": b.ReluForward(y, x); break;
            case "leaky_relu": b.LeakyReluForward(y, x, 0.2); break;
            case "elu": b.EluForward(y, x, 1.3); break;
            case "tanh": b.TanhForward(y, x); break;
            case "sigmoid": b.SigmoidForward(y, x); break;
            default: b.SoftplusForward(y, x); break;
        }
    }

    private static void Backward(IBackend b, string name, Tensor dx, Tensor dy, Tensor saved)
    {
        switch (name)
        {
            case "relu": b.ReluBackward(dx, dy, saved); break;
            case "leaky_relu": b.LeakyReluBackward(dx, dy, saved, 0.2); break;
            case "elu": b.EluBackward(dx, dy, saved, 1.3); break;
            case "tanh": b.TanhBackward(dx, dy, saved); break;
            case "sigmoid": b.SigmoidBackward(dx, dy, saved); break;
            default: b.SoftplusBackward(dx, dy, saved); break;
        }
    }

    // ---- losses: forward elementwise; backward reads dLoss from device memory ----

    [Theory]
    [InlineData("bce")]
    [InlineData("bce_with_logits")]
    [InlineData("l1")]
    [InlineData("mse")]
    public void Loss_ForwardAndBackward_MatchCpu(string name)
    {
        Cuda();
        foreach (var n in new[] { 1, 9, 64 * 1024 + 3 })
        {
            var input = name == "bce" ? Values(n, 1e-6f, 1 - 1e-6f) : Values(n, -8f, 8f);
            var target = name is "bce" or "bce_with_logits" ? Values(n, 0f, 1f) : Values(n);
            if (name == "bce" && n > 1) { input[0] = 0f; input[1] = 1f; } // the -100 clamps
            var dLoss = new[] { (float)(_rng.NextDouble() * 4 - 2) };
            double scale = 1.0 / n;
            Same($"{name} forward", [n], (b, t) => LossForward(b, name, t[0], t[1], t[2]), [input, target], 1e-5, 1e-6);
            Same($"{name} backward", [n], (b, t) => LossBackward(b, name, t[0], t[1], t[2], t[3], scale), [dLoss, input, target], 1e-5, 1e-6, dLossIndex: 0);
        }
    }

    private static void LossForward(IBackend b, string name, Tensor loss, Tensor x, Tensor t)
    {
        switch (name)
        {
            case "bce": b.BceForward(loss, x, t); break;
            case "bce_with_logits": b.BceWithLogitsForward(loss, x, t); break;
            case "l1": b.L1Forward(loss, x, t); break;
            default: b.MseForward(loss, x, t); break;
        }
    }

    private static void LossBackward(IBackend b, string name, Tensor dx, Tensor dLoss, Tensor x, Tensor t, double scale)
    {
        switch (name)
        {
            case "bce": b.BceBackward(dx, dLoss, x, t, scale); break;
            case "bce_with_logits": b.BceWithLogitsBackward(dx, dLoss, x, t, scale); break;
            case "l1": b.L1Backward(dx, dLoss, x, t, scale); break;
            default: b.MseBackward(dx, dLoss, x, t, scale); break;
        }
    }

    // ---- reductions ----

    [Theory]
    [InlineData(1, 2, 1)]
    [InlineData(1, 1_000_003, 1)]
    [InlineData(1, 16 << 20, 1)]
    [InlineData(37, 1000, 1)]
    [InlineData(100_000, 3, 1)]
    [InlineData(3, 70_001, 1)]
    [InlineData(1, 64, 300)]
    [InlineData(5, 1000, 7)]
    [InlineData(3, 70_000, 33)]
    [InlineData(2, 1, 5)]
    [InlineData(4, 0, 3)]
    public void Sum_MatchesCpu(int outer, int n, int inner)
    {
        Cuda();
        var x = Values(outer * n * inner);
        var expected = Run(Device.Cpu);
        var actual = Run(Device.Cuda);
        for (int o = 0; o < outer; o++)
            for (int i = 0; i < inner; i++)
            {
                double norm = 0;
                for (int k = 0; k < n; k++) norm += Math.Pow(x[(o * n + k) * inner + i], 2);
                double tol = 1e-5 * Math.Sqrt(norm) + 1e-6;
                int at = o * inner + i;
                if (!(Math.Abs(actual[at] - expected[at]) <= tol))
                    Assert.Fail($"sum [{outer}, {n}, {inner}] (seed {_seed}): element [{o}, {i}] is {actual[at]:G9} on CUDA, {expected[at]:G9} on the CPU (tolerance {tol:G3})");
            }

        float[] Run(Device d)
        {
            var tx = Tensor.FromArray(x, [outer, n, inner], d);
            var y = Tensor.Empty([outer, inner], DType.Float32, d);
            y.Backend.Sum(y, tx, outer, n, inner);
            return y.ToFloatArray();
        }
    }

    // ---- matrix products ----

    [Theory]
    [InlineData(1, 1, 1, 1, false, false)]
    [InlineData(1, 64, 100, 128, false, false)]
    [InlineData(1, 64, 100, 128, true, false)]
    [InlineData(1, 64, 100, 128, false, true)]
    [InlineData(1, 33, 17, 65, true, true)]
    [InlineData(5, 16, 24, 8, false, false)]
    [InlineData(4, 128, 100, 300, false, true)]
    public void Matmul_StrictFloat32_MatchesCpu(int batch, int m, int n, int k, bool transA, bool transB)
    {
        Cuda();
        MatmulCase(batch, m, n, k, transA, transB, broadcastA: false, alpha: 1, beta: 0, tol: 1e-5);
        MatmulCase(batch, m, n, k, transA, transB, broadcastA: true, alpha: 0.5, beta: 0, tol: 1e-5);
        MatmulCase(batch, m, n, k, transA, transB, broadcastA: false, alpha: 1, beta: 0.75, tol: 1e-5);
    }

    [Fact]
    public void Matmul_Tf32_MatchesCpuWithinTf32Tolerance()
    {
        Cuda();
        using var tf32 = Products.Use(ProductPrecision.Tf32);
        MatmulCase(3, 128, 256, 512, false, true, broadcastA: false, alpha: 1, beta: 0, tol: 5e-3);
    }

    private void MatmulCase(int batch, int m, int n, int k, bool transA, bool transB, bool broadcastA, double alpha, double beta, double tol)
    {
        int[] aShape = [broadcastA ? 1 : batch, transA ? k : m, transA ? m : k];
        int[] bShape = [batch, transB ? n : k, transB ? k : n];
        var a = Values(Shape.NumEl(aShape));
        var bv = Values(Shape.NumEl(bShape));
        var c0 = Values(batch * m * n);
        float[] Run(Device d)
        {
            var c = Tensor.FromArray(c0, [batch, m, n], d);
            c.Backend.Matmul(c, Tensor.FromArray(a, aShape, d), Tensor.FromArray(bv, bShape, d), transA, transB, alpha, beta);
            return c.ToFloatArray();
        }
        NormClose($"matmul [{batch}] {m}x{k} @ {k}x{n} transA={transA} transB={transB} broadcastA={broadcastA} alpha={alpha} beta={beta}",
            Run(Device.Cpu), Run(Device.Cuda), tol);
    }

    // ---- convolution (float64 loop reference: main's CPU backend has no conv yet) ----

    public static TheoryData<int, int, int, int, int, int, int, int, int, int> ConvCases() => new()
    {
        // n, c, h, w, k, kernel, stride, pad, dilation, groups
        { 2, 3, 16, 16, 8, 4, 2, 1, 1, 1 },   // DCGAN discriminator layer
        { 2, 8, 9, 7, 6, 3, 1, 1, 1, 1 },
        { 1, 4, 10, 10, 6, 3, 1, 2, 2, 2 },   // dilation and groups
        { 3, 16, 8, 8, 16, 1, 1, 0, 1, 1 },
    };

    [Theory]
    [MemberData(nameof(ConvCases))]
    public void Conv2d_ForwardBackwardDataBackwardFilter_MatchReference(int n, int c, int h, int w, int k, int kernel, int stride, int pad, int dilation, int groups)
    {
        Cuda();
        var args = new Conv2dArgs(stride, stride, pad, pad, dilation, dilation, groups);
        ConvCase(n, c, h, w, k, kernel, args, 1e-5);
    }

    [Fact]
    public void Conv2d_Tf32_MatchesReferenceWithinTf32Tolerance()
    {
        Cuda();
        using var tf32 = Products.Use(ProductPrecision.Tf32);
        ConvCase(4, 64, 16, 16, 128, 4, new Conv2dArgs(2, 2, 1, 1), 5e-3);
    }

    // ---- bf16 products: the CPU backend's emulation (CpuBackend.Bf16.cs) is the reference ----

    public static TheoryData<int, int, int, int, int, int, int, int, int> Bf16ConvCases() => new()
    {
        // n, c, h, w, k, kernel, stride, pad, groups
        { 8, 3, 64, 64, 64, 4, 2, 1, 1 },     // DCGAN-64's first discriminator layer (3 channels: NHWC needs padding)
        { 8, 128, 16, 16, 256, 4, 2, 1, 1 },  // a middle one, where tensor cores pay
        { 8, 512, 4, 4, 1, 4, 1, 0, 1 },      // its last, one output channel
        { 2, 8, 9, 7, 6, 3, 1, 1, 2 },        // odd sizes and groups
    };

    [Theory]
    [MemberData(nameof(Bf16ConvCases))]
    public void Conv2d_Bf16_EveryDirection_MatchesTheCpuEmulation(int n, int c, int h, int w, int k, int kernel, int stride, int pad, int groups)
    {
        Cuda();
        using var bf16 = Products.Use(ProductPrecision.Bf16);
        var args = new Conv2dArgs(stride, stride, pad, pad, 1, 1, groups);
        int oh = (h + 2 * pad - kernel) / stride + 1, ow = (w + 2 * pad - kernel) / stride + 1;
        int[] xShape = [n, c, h, w], wShape = [k, c / groups, kernel, kernel], yShape = [n, k, oh, ow];
        var x = Values(Shape.NumEl(xShape));
        var wt = Values(Shape.NumEl(wShape));
        var dy = Values(Shape.NumEl(yShape));
        (float[] Y, float[] Dx, float[] Dw) Run(Device d)
        {
            var (tx, tw, tdy) = (Tensor.FromArray(x, xShape, d), Tensor.FromArray(wt, wShape, d), Tensor.FromArray(dy, yShape, d));
            var (ty, tdx, tdw) = (Tensor.Empty(yShape, DType.Float32, d), Tensor.Empty(xShape, DType.Float32, d), Tensor.Empty(wShape, DType.Float32, d));
            tx.Backend.Conv2dForward(ty, tx, tw, args);
            tx.Backend.Conv2dBackwardData(tdx, tdy, tw, args);
            tx.Backend.Conv2dBackwardFilter(tdw, tdy, tx, args);
            return (ty.ToFloatArray(), tdx.ToFloatArray(), tdw.ToFloatArray());
        }
        var cpu = Run(Device.Cpu);
        for (int repeat = 0; repeat < 2; repeat++) // the second call uses the cached plan, layout and algorithm
        {
            var gpu = Run(Device.Cuda);
            string what = $"bf16 x {Shape.Format(xShape)} w {Shape.Format(wShape)} {args} (call {repeat + 1})";
            foreach (var (direction, want, got) in new[] { ("forward", cpu.Y, gpu.Y), ("backward data", cpu.Dx, gpu.Dx), ("backward filter", cpu.Dw, gpu.Dw) })
            {
                // cuDNN's output is bfloat16, widened: every value must be one, or the float32 path ran.
                Assert.All(got, v => Assert.Equal(BFloat16.Round(v), v));
                NormClose($"conv2d {direction} {what}", want, got, 4e-3);
            }
        }
    }

    [Fact]
    public void Matmul_Bf16_MatchesTheCpuEmulation_AndDiffersFromFp32()
    {
        Cuda();
        int batch = 3, m = 64, n = 96, k = 256;
        var a = Values(batch * m * k);
        var bv = Values(batch * k * n);
        float[] Run(Device d, ProductPrecision precision)
        {
            using var scope = Products.Use(precision);
            var c = Tensor.Empty([batch, m, n], DType.Float32, d);
            c.Backend.Matmul(c, Tensor.FromArray(a, [batch, m, k], d), Tensor.FromArray(bv, [batch, k, n], d), false, false);
            return c.ToFloatArray();
        }
        var gpu = Run(Device.Cuda, ProductPrecision.Bf16);
        // Products of bfloat16 values are exact in float32: only the summation order differs.
        NormClose("matmul bf16 vs the CPU's emulation", Run(Device.Cpu, ProductPrecision.Bf16), gpu, 1e-5);
        var exact = Run(Device.Cpu, ProductPrecision.Fp32);
        double diff = Math.Sqrt(exact.Zip(gpu, (p, q) => (double)(p - q) * (p - q)).Sum() / exact.Sum(v => (double)v * v));
        Assert.True(diff > 1e-4, $"bf16 matmul is {diff} from fp32: its inputs were not rounded");
    }

    private void ConvCase(int n, int c, int h, int w, int k, int kernel, Conv2dArgs args, double tol)
    {
        int oh = (h + 2 * args.PadH - args.DilationH * (kernel - 1) - 1) / args.StrideH + 1;
        int ow = (w + 2 * args.PadW - args.DilationW * (kernel - 1) - 1) / args.StrideW + 1;
        int[] xShape = [n, c, h, w], wShape = [k, c / args.Groups, kernel, kernel], yShape = [n, k, oh, ow];
        var x = Values(Shape.NumEl(xShape));
        var wt = Values(Shape.NumEl(wShape));
        var dy = Values(Shape.NumEl(yShape));
        var (y, dx, dw) = Reference.Conv2d(x, xShape, wt, wShape, dy, yShape, args);
        var gx = Tensor.FromArray(x, xShape, Device.Cuda);
        var gw = Tensor.FromArray(wt, wShape, Device.Cuda);
        var gdy = Tensor.FromArray(dy, yShape, Device.Cuda);
        var gy = Tensor.Empty(yShape, DType.Float32, Device.Cuda);
        var gdx = Tensor.Empty(xShape, DType.Float32, Device.Cuda);
        var gdw = Tensor.Empty(wShape, DType.Float32, Device.Cuda);
        var b = gx.Backend;
        for (int repeat = 0; repeat < 2; repeat++) // the second call uses the cached plan and algorithm
        {
            b.Conv2dForward(gy, gx, gw, args);
            b.Conv2dBackwardData(gdx, gdy, gw, args);
            b.Conv2dBackwardFilter(gdw, gdy, gx, args);
            string what = $"x {Shape.Format(xShape)} w {Shape.Format(wShape)} {args} (call {repeat + 1})";
            NormClose($"conv2d forward {what}", y, gy.ToFloatArray(), tol);
            NormClose($"conv2d backward data {what}", dx, gdx.ToFloatArray(), tol);
            NormClose($"conv2d backward filter {what}", dw, gdw.ToFloatArray(), tol);
        }
    }

    // ---- batch norm (float64 reference with PyTorch's semantics) ----

    [Theory]
    [InlineData(8, 16, 8, 8, 1e-5, 0.1)]
    [InlineData(64, 32, 5, 1, 1e-3, 0.3)]
    public void BatchNorm_TrainingInferenceBackward_MatchReference(int n, int c, int h, int w, double eps, double momentum)
    {
        Cuda();
        int[] shape = [n, c, h, w];
        var (x, dy, gamma, beta, runMean, runVar) = BatchNormInputs(shape);
        var r = Reference.BatchNorm(x, shape, gamma, beta, runMean, runVar, dy, momentum, eps);

        var d = Device.Cuda;
        var (gx, gy, mean, invStd, gGamma, gBeta, gRunMean, gRunVar) = OnDevice(x, shape, gamma, beta, runMean, runVar);
        var b = gx.Backend;
        b.BatchNormForwardTraining(gy, mean, invStd, gx, gGamma, gBeta, gRunMean, gRunVar, momentum, eps);
        string what = $"batch norm {Shape.Format(shape)} eps {eps}";
        NormClose($"{what} y", r.Y, gy.ToFloatArray(), 1e-5);
        NormClose($"{what} save mean", r.Mean, mean.ToFloatArray(), 1e-5);
        NormClose($"{what} save inv std", r.InvStd, invStd.ToFloatArray(), 1e-5);
        NormClose($"{what} running mean", r.RunningMean, gRunMean.ToFloatArray(), 1e-5);
        NormClose($"{what} running var (unbiased)", r.RunningVar, gRunVar.ToFloatArray(), 1e-5);

        var gdx = Tensor.Empty(shape, DType.Float32, d);
        var dGamma = Tensor.Empty([c], DType.Float32, d);
        var dBeta = Tensor.Empty([c], DType.Float32, d);
        b.BatchNormBackward(gdx, dGamma, dBeta, Tensor.FromArray(dy, shape, d), gx, gGamma, mean, invStd);
        NormClose($"{what} dx", r.Dx, gdx.ToFloatArray(), 1e-5);
        NormClose($"{what} dgamma", r.DGamma, dGamma.ToFloatArray(), 1e-5);
        NormClose($"{what} dbeta", r.DBeta, dBeta.ToFloatArray(), 1e-5);

        // Without running statistics (null pointers to cuDNN) the outputs are the same.
        b.BatchNormForwardTraining(gy, mean, invStd, gx, gGamma, gBeta, null, null, momentum, eps);
        NormClose($"{what} y without running stats", r.Y, gy.ToFloatArray(), 1e-5);

        b.BatchNormForwardInference(gy, gx, gGamma, gBeta, Tensor.FromArray(runMean, [c], d), Tensor.FromArray(runVar, [c], d), eps);
        NormClose($"{what} inference", r.YInference, gy.ToFloatArray(), 1e-5);
    }

    /// <summary>Batch norm's operands: x spread over [-3, 5) (a mean away from 0), gamma in [0.5, 1.5),
    /// running variances in [0.5, 2).</summary>
    private (float[] X, float[] Dy, float[] Gamma, float[] Beta, float[] RunMean, float[] RunVar) BatchNormInputs(int[] shape)
    {
        int c = shape[1];
        var x = Values(Shape.NumEl(shape), -3f, 5f);
        return (x, Values(x.Length), Values(c, 0.5f, 1.5f), Values(c), Values(c), Values(c, 0.5f, 2f));
    }

    /// <summary>x, gamma, beta and the running stats on the GPU, with outputs y, save mean and save inv std.</summary>
    private static (Tensor X, Tensor Y, Tensor Mean, Tensor InvStd, Tensor Gamma, Tensor Beta, Tensor RunMean, Tensor RunVar) OnDevice(
        float[] x, int[] shape, float[] gamma, float[] beta, float[] runMean, float[] runVar)
    {
        var d = Device.Cuda;
        int c = shape[1];
        return (Tensor.FromArray(x, shape, d), Tensor.Empty(shape, DType.Float32, d), Tensor.Empty([c], DType.Float32, d),
            Tensor.Empty([c], DType.Float32, d), Tensor.FromArray(gamma, [c], d), Tensor.FromArray(beta, [c], d),
            Tensor.FromArray(runMean, [c], d), Tensor.FromArray(runVar, [c], d));
    }

    /// <summary>kernels/batch_norm_leaky_relu.cu against the float64 reference of batch norm then leaky relu:
    /// planes of float4s and of odd sizes, one image range per channel and several (the partial sums'
    /// splits), 1-d shapes ([N, C, 1, 1]), relu (slope 0).</summary>
    [Theory]
    [InlineData(8, 16, 8, 8, 0.2)]
    [InlineData(64, 32, 5, 1, 0.0)]
    [InlineData(128, 64, 8, 8, 0.2)]
    [InlineData(512, 8, 16, 16, 0.2)]
    [InlineData(96, 40, 1, 1, 0.0)]
    public void BatchNormLeakyRelu_ForwardBackward_MatchReference(int n, int c, int h, int w, double slope)
    {
        Cuda();
        const double momentum = 0.1, eps = 1e-5;
        int[] shape = [n, c, h, w];
        var (x, dy, gamma, beta, runMean, runVar) = BatchNormInputs(shape);
        var bn = Reference.BatchNorm(x, shape, gamma, beta, runMean, runVar, dy, momentum, eps);
        // Through leaky relu: y = leaky(z); batch norm's backward then sees dy times the slope at z.
        var expectedY = bn.Y.Select(z => z > 0 ? z : (float)(slope * z)).ToArray();
        var gated = dy.Select((d, i) => bn.Y[i] > 0 ? d : (float)(slope * d)).ToArray();
        var r = Reference.BatchNorm(x, shape, gamma, beta, runMean, runVar, gated, momentum, eps);

        var d = Device.Cuda;
        var (gx, gy, mean, invStd, gGamma, gBeta, gRunMean, gRunVar) = OnDevice(x, shape, gamma, beta, runMean, runVar);
        var b = gx.Backend;
        b.BatchNormLeakyReluForwardTraining(gy, mean, invStd, gx, gGamma, gBeta, gRunMean, gRunVar, momentum, eps, slope);
        string what = $"batch norm + leaky relu({slope}) {Shape.Format(shape)}";
        NormClose($"{what} y", expectedY, gy.ToFloatArray(), 1e-5);
        NormClose($"{what} save mean", bn.Mean, mean.ToFloatArray(), 1e-5);
        NormClose($"{what} save inv std", bn.InvStd, invStd.ToFloatArray(), 1e-5);
        NormClose($"{what} running mean", bn.RunningMean, gRunMean.ToFloatArray(), 1e-5);
        NormClose($"{what} running var (unbiased)", bn.RunningVar, gRunVar.ToFloatArray(), 1e-5);

        var gdx = Tensor.Empty(shape, DType.Float32, d);
        var dGamma = Tensor.Empty([c], DType.Float32, d);
        var dBeta = Tensor.Empty([c], DType.Float32, d);
        b.BatchNormLeakyReluBackward(gdx, dGamma, dBeta, Tensor.FromArray(dy, shape, d), gx, gGamma, gBeta, mean, invStd, slope);
        NormClose($"{what} dx", r.Dx, gdx.ToFloatArray(), 1e-5);
        NormClose($"{what} dgamma", r.DGamma, dGamma.ToFloatArray(), 1e-5);
        NormClose($"{what} dbeta", r.DBeta, dBeta.ToFloatArray(), 1e-5);

        // Without running statistics (null pointers) the outputs are the same.
        b.BatchNormLeakyReluForwardTraining(gy, mean, invStd, gx, gGamma, gBeta, null, null, momentum, eps, slope);
        NormClose($"{what} y without running stats", expectedY, gy.ToFloatArray(), 1e-5);
    }

    /// <summary>kernels/bias_activation.cu against a float64 reference of the bias add then the activation:
    /// planes of float4s and not, one and several partial-sum ranges per channel, relu, leaky relu, elu.</summary>
    [Theory]
    [InlineData(16, 64, 32, 32, true, 1.0)]
    [InlineData(8, 16, 8, 8, false, 0.2)]
    [InlineData(64, 12, 5, 3, false, 0.0)]
    [InlineData(96, 40, 1, 1, true, 0.5)]
    public void BiasActivation_ForwardBackward_MatchReference(int n, int c, int h, int w, bool elu, double p)
    {
        Cuda();
        int[] shape = [n, c, h, w];
        var x = Values(Shape.NumEl(shape), -3f, 3f);
        var dy = Values(x.Length);
        var bias = Values(c);
        int hw = h * w;
        var y = new double[x.Length];
        var dx = new double[x.Length];
        var dBias = new double[c];
        for (int i = 0; i < x.Length; i++)
        {
            int ch = i / hw % c;
            double z = (double)x[i] + bias[ch];
            y[i] = z > 0 ? z : elu ? p * (Math.Exp(z) - 1) : p * z;
            dx[i] = z > 0 ? dy[i] : elu ? dy[i] * p * Math.Exp(z) : dy[i] * p;
            dBias[ch] += dx[i];
        }

        var d = Device.Cuda;
        var act = elu ? FusedActivation.Elu : FusedActivation.LeakyRelu;
        var gx = Tensor.FromArray(x, shape, d);
        var gBias = Tensor.FromArray(bias, [c], d);
        var gy = Tensor.Empty(shape, DType.Float32, d);
        var b = gx.Backend;
        b.BiasActivationForward(gy, gx, gBias, act, p);
        string what = $"bias + {act}({p}) {Shape.Format(shape)}";
        NormClose($"{what} y", [.. y.Select(v => (float)v)], gy.ToFloatArray(), 1e-6);
        var gdx = Tensor.Empty(shape, DType.Float32, d);
        var gdBias = Tensor.Empty([c], DType.Float32, d);
        b.BiasActivationBackward(gdx, gdBias, Tensor.FromArray(dy, shape, d), gx, gBias, act, p);
        NormClose($"{what} dx", [.. dx.Select(v => (float)v)], gdx.ToFloatArray(), 1e-6);
        NormClose($"{what} dbias", [.. dBias.Select(v => (float)v)], gdBias.ToFloatArray(), 1e-5);
    }

    // ---- pooling and upsampling (float64 reference) ----

    [Theory]
    [InlineData(2, 2, 0)]
    [InlineData(3, 2, 1)]
    [InlineData(3, 1, 1)]
    public void Pool2d_MaxAndAvg_ForwardBackward_MatchReference(int kernel, int stride, int pad)
    {
        Cuda();
        var args = new Pool2dArgs(kernel, kernel, stride, stride, pad, pad);
        int n = 2, c = 3, h = 11, w = 9; // neither a multiple of 2: the tiled 2x2 backward has partial tiles
        int oh = (h + 2 * pad - kernel) / stride + 1, ow = (w + 2 * pad - kernel) / stride + 1;
        int[] xShape = [n, c, h, w], yShape = [n, c, oh, ow];
        var x = Values(Shape.NumEl(xShape));
        x[5] = x[6]; // a tie: the gradient goes to the first maximum
        var dy = Values(Shape.NumEl(yShape));
        var d = Device.Cuda;
        var gx = Tensor.FromArray(x, xShape, d);
        var gdy = Tensor.FromArray(dy, yShape, d);
        var gy = Tensor.Empty(yShape, DType.Float32, d);
        var gdx = Tensor.Empty(xShape, DType.Float32, d);
        var b = gx.Backend;
        foreach (var max in new[] { true, false })
        {
            var (y, dx) = Reference.Pool2d(x, xShape, dy, yShape, args, max);
            if (max) { b.MaxPool2dForward(gy, gx, args); b.MaxPool2dBackward(gdx, gdy, gx, args); }
            else { b.AvgPool2dForward(gy, gx, args); b.AvgPool2dBackward(gdx, gdy, args); }
            string what = $"{(max ? "max" : "avg")} pool {args}";
            Close($"{what} forward", yShape, y, gy.ToFloatArray(), 1e-6, 1e-7);
            Close($"{what} backward", xShape, dx, gdx.ToFloatArray(), 1e-6, 1e-6);
        }
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    public void UpsampleNearest_ForwardBackward_MatchReference(int scale)
    {
        Cuda();
        int n = 2, c = 3, h = 5, w = 7;
        int[] xShape = [n, c, h, w], yShape = [n, c, h * scale, w * scale];
        var x = Values(Shape.NumEl(xShape));
        var dy = Values(Shape.NumEl(yShape));
        var (y, dx) = Reference.Upsample(x, xShape, dy, scale);
        var d = Device.Cuda;
        var gy = Tensor.Empty(yShape, DType.Float32, d);
        var gdx = Tensor.Empty(xShape, DType.Float32, d);
        gy.Backend.UpsampleNearestForward(gy, Tensor.FromArray(x, xShape, d), scale);
        gy.Backend.UpsampleNearestBackward(gdx, Tensor.FromArray(dy, yShape, d), scale);
        Close($"upsample x{scale} forward", yShape, y, gy.ToFloatArray(), 0, 0);
        Close($"upsample x{scale} backward", xShape, dx, gdx.ToFloatArray(), 1e-6, 1e-6);
    }

    // ---- random streams ----

    [Theory]
    [InlineData(7ul, 0ul, 1)]
    [InlineData(7ul, 0ul, 1_000_003)]
    [InlineData(0xDEADBEEFCAFEul, 12345ul, 4097)]
    [InlineData(3ul, 0xFFFFFFFFul, 64)] // the counter's low word carries into the high word
    public void Philox_UniformAndDropout_AreBitIdentical_NormalsClose(ulong seed, ulong offset, int n)
    {
        Cuda();
        Same("uniform(0, 1)", [n], (b, t) => b.RandomUniform(t[0], seed, offset, 0, 1), [], 0, 0);
        Same("uniform(-3, 5)", [n], (b, t) => b.RandomUniform(t[0], seed, offset, -3, 5), [], 0, 0);
        Same("dropout p=0.3", [n], (b, t) => b.DropoutMask(t[0], seed, offset, 0.3), [], 0, 0);
        Same("normal(0, 1)", [n], (b, t) => b.RandomNormal(t[0], seed, offset, 0, 1), [], 4e-6, 1e-6);
        Same("normal(2, 0.02)", [n], (b, t) => b.RandomNormal(t[0], seed, offset, 2, 0.02), [], 4e-6, 1e-6);
    }

    // ---- optimizers ----

    [Theory]
    [InlineData(0.0, 0.0)]
    [InlineData(0.9, 1e-4)]
    public void Sgd_ThreeSteps_MatchCpu(double momentum, double weightDecay)
    {
        Cuda();
        int n = 10_007;
        OptimizerCase($"sgd momentum {momentum}", n, momentum > 0 ? 1 : 0, (b, p, g, s, step) =>
            b.SgdStep([new(p, g, s.Length > 0 ? s[0] : null, step == 1)], 0.01, momentum, weightDecay));
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1e-2)]
    public void Adam_ThreeSteps_MatchCpu(double weightDecay)
    {
        Cuda();
        OptimizerCase("adam", 100_003, 2, (b, p, g, s, step) => b.AdamStep([new(p, g, s[0], s[1])], 2e-4, 0.5, 0.999, 1e-8, weightDecay, step));
    }

    [Fact]
    public void RmsProp_ThreeSteps_MatchCpu()
    {
        Cuda();
        OptimizerCase("rmsprop", 5003, 1, (b, p, g, s, _) => b.RmsPropStep([new(p, g, s[0])], 5e-5, 0.99, 1e-8, 1e-4));
    }

    private void OptimizerCase(string name, int n, int states, Action<IBackend, Tensor, Tensor, Tensor[], int> step)
    {
        var param = Values(n);
        var grads = Enumerable.Range(0, 3).Select(_ => Values(n)).ToArray();
        float[] Run(Device d)
        {
            var p = Tensor.FromArray(param, [n], d);
            var s = Enumerable.Range(0, states).Select(_ => Tensor.Zeros([n], DType.Float32, d)).ToArray();
            for (int t = 1; t <= 3; t++) step(p.Backend, p, Tensor.FromArray(grads[t - 1], [n], d), s, t);
            return [.. p.ToFloatArray(), .. s.SelectMany(x => x.ToFloatArray())];
        }
        Close($"{name} after 3 steps (parameters, then state)", [n * (1 + states)], Run(Device.Cpu), Run(Device.Cuda), 1e-6, 1e-7);
    }

    // ---- the caching allocator ----

    [Fact]
    public void Allocator_ReusesBlocks_PeakStaysFlatOver100Cycles()
    {
        var cuda = Cuda();
        cuda.Synchronize();
        CudaGpu.CollectEarlierTensors();
        var first = Cycle();
        var afterFirst = cuda.Allocator.Stats;
        for (int i = 0; i < 99; i++) Cycle();
        var after = cuda.Allocator.Stats;
        Assert.Equal(afterFirst.DriverAllocations, after.DriverAllocations);
        Assert.True(after.PeakInUse <= afterFirst.PeakInUse, $"peak in use grew from {afterFirst.PeakInUse} to {after.PeakInUse}");
        Assert.Equal(first, after.InUse);

        long Cycle()
        {
            long before = cuda.Allocator.Stats.InUse;
            using (new TensorScope())
            {
                var a = Tensor.Zeros([64, 1000], DType.Float32, Device.Cuda);
                var b = Tensor.Ones([1000, 3], DType.Float32, Device.Cuda);
                var c = (a.Matmul(b) + Tensor.Ones([3], DType.Float32, Device.Cuda)).Sum();
                Assert.Equal(64 * 3, c.Item(), 3);
            }
            Assert.Equal(before, cuda.Allocator.Stats.InUse);
            return before;
        }
    }

    /// <summary>
    /// Finalizes the unreachable tensors earlier tests left (their blocks go back to the allocator
    /// from the finalizer thread), so that none returns in the middle of a count of blocks in use.
    /// </summary>
    [Fact]
    public void TensorScope_ReturnsEveryBlock()
    {
        var cuda = Cuda();
        CudaGpu.CollectEarlierTensors();
        long before = cuda.Allocator.Stats.InUse;
        using (new TensorScope())
        {
            var x = Tensor.Randn([256, 256], new Generator(1), device: Device.Cuda);
            var y = F.LeakyRelu(x.Matmul(x), 0.2).Mean();
            Assert.False(double.IsNaN(y.Item()));
        }
        Assert.Equal(before, cuda.Allocator.Stats.InUse);
        Assert.Equal(0, CudaAllocator.RoundSize(0));
        Assert.Equal(512, CudaAllocator.RoundSize(4));
        Assert.Equal((1 << 20) + (1 << 17), CudaAllocator.RoundSize((1 << 20) + 1));
    }

    // ---- a whole GAN step through the autograd ops ----

    [Fact]
    public void GanStep_OnCuda_MatchesTheSameStepOnCpu()
    {
        Cuda();
        const int batch = 16, zDim = 8, hidden = 32, xDim = 12;
        var init = new Dictionary<string, (float[] Data, int[] Shape)>
        {
            ["g.w1"] = (Values(zDim * hidden, -0.3f, 0.3f), [zDim, hidden]), ["g.b1"] = (Values(hidden, -0.1f, 0.1f), [hidden]),
            ["g.w2"] = (Values(hidden * xDim, -0.3f, 0.3f), [hidden, xDim]), ["g.b2"] = (Values(xDim, -0.1f, 0.1f), [xDim]),
            ["d.w1"] = (Values(xDim * hidden, -0.3f, 0.3f), [xDim, hidden]), ["d.b1"] = (Values(hidden, -0.1f, 0.1f), [hidden]),
            ["d.w2"] = (Values(hidden, -0.3f, 0.3f), [hidden, 1]), ["d.b2"] = (Values(1, -0.1f, 0.1f), [1]),
        };
        var real = Values(batch * xDim);
        var expected = Step(Device.Cpu);
        var actual = Step(Device.Cuda);
        foreach (var key in expected.Keys)
            NormClose($"gan step: {key}", expected[key], actual[key], 1e-5);

        Dictionary<string, float[]> Step(Device d)
        {
            var p = init.ToDictionary(kv => kv.Key, kv =>
            {
                var t = Tensor.FromArray(kv.Value.Data, kv.Value.Shape, d);
                t.RequiresGrad = true;
                return t;
            });
            Tensor G(Tensor z) => F.Add(F.Matmul(F.LeakyRelu(F.Add(F.Matmul(z, p["g.w1"]), p["g.b1"]), 0.2), p["g.w2"]), p["g.b2"]);
            Tensor D(Tensor x) => F.Add(F.Matmul(F.LeakyRelu(F.Add(F.Matmul(x, p["d.w1"]), p["d.b1"]), 0.2), p["d.w2"]), p["d.b2"]);
            var z = Tensor.Randn([batch, zDim], new Generator(42), device: d);
            var x = Tensor.FromArray(real, [batch, xDim], d);
            var fake = G(z);
            var dReal = D(x);
            var dFake = D(fake.Detach());
            var lossD = F.Add(F.BinaryCrossEntropyWithLogits(dReal, F.Label(dReal, 1)), F.BinaryCrossEntropyWithLogits(dFake, F.Label(dFake, 0)));
            lossD.Backward();
            Adam("d.");
            foreach (var t in p.Values) t.Grad = null;
            var lossG = F.BinaryCrossEntropyWithLogits(D(fake), F.Label(dFake, 1));
            lossG.Backward();
            Adam("g.");
            var result = new Dictionary<string, float[]> { ["loss D"] = lossD.ToFloatArray(), ["loss G"] = lossG.ToFloatArray() };
            foreach (var (name, t) in p) result[name] = t.ToFloatArray();

            void Adam(string prefix)
            {
                foreach (var (name, t) in p.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal)))
                {
                    var m = Tensor.Zeros(t.Shape, DType.Float32, d);
                    var v = Tensor.Zeros(t.Shape, DType.Float32, d);
                    t.Backend.AdamStep([new(t, t.Grad!, m, v)], 2e-4, 0.5, 0.999, 1e-8, 0, 1);
                }
            }
            return result;
        }
    }

    // ---- helpers ----

    private float[] Values(int n, float low = -2f, float high = 2f)
    {
        var v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float)(low + (high - low) * _rng.NextDouble());
        return v;
    }

    /// <summary>Runs op on both backends: inputs as given (all of the output's shape unless
    /// dLossIndex marks a one-element tensor), output first; compares elementwise.</summary>
    private void Same(string op, int[] shape, Action<IBackend, Tensor[]> run, float[][] inputs, double rtol, double atol, int dLossIndex = -1)
    {
        float[] Run(Device d)
        {
            var y = Tensor.Empty(shape, DType.Float32, d);
            var ins = inputs.Select((v, i) => Tensor.FromArray(v, i == dLossIndex ? [1] : shape, d)).ToArray();
            run(y.Backend, [y, .. ins]);
            return y.ToFloatArray();
        }
        Close(op, shape, Run(Device.Cpu), Run(Device.Cuda), rtol, atol);
    }

    private void Close(string op, int[] shape, float[] expected, float[] actual, double rtol, double atol)
    {
        Assert.Equal(expected.Length, actual.Length);
        int worst = -1;
        double worstExcess = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double e = expected[i], a = actual[i];
            if (e.Equals(a)) continue; // also NaN == NaN and equal infinities
            double excess = Math.Abs(a - e) - (atol + rtol * Math.Abs(e));
            if (double.IsNaN(excess) || excess > worstExcess)
            {
                worst = i;
                worstExcess = double.IsNaN(excess) ? double.PositiveInfinity : excess;
            }
        }
        if (worst >= 0)
            Assert.Fail($"{op} {Shape.Format(shape)} (seed {_seed}): element {worst} is {actual[worst]:G9} on CUDA, {expected[worst]:G9} on the CPU (rtol {rtol}, atol {atol})");
    }

    private void NormClose(string op, float[] expected, float[] actual, double tol)
    {
        Assert.Equal(expected.Length, actual.Length);
        double diff = 0, norm = 0;
        int worst = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double d = (double)actual[i] - expected[i];
            diff += d * d;
            norm += (double)expected[i] * expected[i];
            if (!(Math.Abs(d) <= Math.Abs((double)actual[worst] - expected[worst]))) worst = i;
        }
        double relative = Math.Sqrt(diff) / Math.Max(Math.Sqrt(norm), 1e-30);
        if (!(relative <= tol))
            Assert.Fail($"{op} (seed {_seed}): L2 error {relative:G3} of the output norm exceeds {tol:G3}; worst element {worst}: {actual[worst]:G9} on CUDA, {expected[worst]:G9} expected");
    }

    /// <summary>Plain float64 loops with PyTorch's semantics, for the ops main's CPU backend lacks.</summary>
    private static class Reference
    {
        public static (float[] Y, float[] Dx, float[] Dw) Conv2d(float[] x, int[] xs, float[] w, int[] ws, float[] dy, int[] ys, Conv2dArgs a)
        {
            int n = xs[0], c = xs[1], h = xs[2], wd = xs[3], k = ws[0], cg = ws[1], kh = ws[2], kw = ws[3], oh = ys[2], ow = ys[3];
            int kg = k / a.Groups;
            var y = new double[ys.Aggregate(1, (p, s) => p * s)];
            var dx = new double[x.Length];
            var dw = new double[w.Length];
            for (int b = 0; b < n; b++)
                for (int o = 0; o < k; o++)
                    for (int i = 0; i < oh; i++)
                        for (int j = 0; j < ow; j++)
                        {
                            int yi = ((b * k + o) * oh + i) * ow + j;
                            double acc = 0;
                            for (int ci = 0; ci < cg; ci++)
                                for (int p = 0; p < kh; p++)
                                    for (int q = 0; q < kw; q++)
                                    {
                                        int hh = i * a.StrideH - a.PadH + p * a.DilationH, ww = j * a.StrideW - a.PadW + q * a.DilationW;
                                        if (hh < 0 || hh >= h || ww < 0 || ww >= wd) continue;
                                        int xi = ((b * c + o / kg * cg + ci) * h + hh) * wd + ww;
                                        int wi = ((o * cg + ci) * kh + p) * kw + q;
                                        acc += (double)x[xi] * w[wi];
                                        dx[xi] += (double)dy[yi] * w[wi];
                                        dw[wi] += (double)dy[yi] * x[xi];
                                    }
                            y[yi] = acc;
                        }
            return (ToFloat(y), ToFloat(dx), ToFloat(dw));
        }

        public static (float[] Y, float[] Mean, float[] InvStd, float[] RunningMean, float[] RunningVar, float[] Dx, float[] DGamma, float[] DBeta, float[] YInference)
            BatchNorm(float[] x, int[] s, float[] gamma, float[] beta, float[] runMean, float[] runVar, float[] dy, double momentum, double eps)
        {
            int n = s[0], c = s[1], hw = s[2] * s[3], count = n * hw;
            var y = new double[x.Length];
            var yInf = new double[x.Length];
            var dx = new double[x.Length];
            var mean = new double[c];
            var invStd = new double[c];
            var rm = new double[c];
            var rv = new double[c];
            var dg = new double[c];
            var db = new double[c];
            for (int ch = 0; ch < c; ch++)
            {
                IEnumerable<int> Idx() { for (int b = 0; b < n; b++) for (int i = 0; i < hw; i++) yield return (b * c + ch) * hw + i; }
                double m = Idx().Average(i => (double)x[i]);
                double v = Idx().Average(i => (x[i] - m) * (x[i] - m));
                mean[ch] = m;
                invStd[ch] = 1 / Math.Sqrt(v + eps);
                rm[ch] = (1 - momentum) * runMean[ch] + momentum * m;
                rv[ch] = (1 - momentum) * runVar[ch] + momentum * v * count / (count - 1);
                foreach (var i in Idx())
                {
                    double xhat = (x[i] - m) * invStd[ch];
                    y[i] = xhat * gamma[ch] + beta[ch];
                    yInf[i] = (x[i] - runMean[ch]) / Math.Sqrt(runVar[ch] + eps) * gamma[ch] + beta[ch];
                    dg[ch] += dy[i] * xhat;
                    db[ch] += dy[i];
                }
                foreach (var i in Idx())
                {
                    double xhat = (x[i] - m) * invStd[ch];
                    dx[i] = gamma[ch] * invStd[ch] / count * (count * dy[i] - db[ch] - xhat * dg[ch]);
                }
            }
            return (ToFloat(y), ToFloat(mean), ToFloat(invStd), ToFloat(rm), ToFloat(rv), ToFloat(dx), ToFloat(dg), ToFloat(db), ToFloat(yInf));
        }

        public static (float[] Y, float[] Dx) Pool2d(float[] x, int[] xs, float[] dy, int[] ys, Pool2dArgs a, bool max)
        {
            int planes = xs[0] * xs[1], h = xs[2], w = xs[3], oh = ys[2], ow = ys[3];
            var y = new double[dy.Length];
            var dx = new double[x.Length];
            for (int p = 0; p < planes; p++)
                for (int i = 0; i < oh; i++)
                    for (int j = 0; j < ow; j++)
                    {
                        int yi = (p * oh + i) * ow + j, arg = -1;
                        double best = double.NegativeInfinity, sum = 0;
                        for (int u = 0; u < a.KernelH; u++)
                            for (int v = 0; v < a.KernelW; v++)
                            {
                                int hh = i * a.StrideH - a.PadH + u, ww = j * a.StrideW - a.PadW + v;
                                if (hh < 0 || hh >= h || ww < 0 || ww >= w) continue;
                                int xi = (p * h + hh) * w + ww;
                                sum += x[xi];
                                if (arg < 0 || x[xi] > best) { best = x[xi]; arg = xi; }
                            }
                        if (max)
                        {
                            y[yi] = best;
                            dx[arg] += dy[yi];
                        }
                        else
                        {
                            int div = a.KernelH * a.KernelW;
                            y[yi] = sum / div;
                            for (int u = 0; u < a.KernelH; u++)
                                for (int v = 0; v < a.KernelW; v++)
                                {
                                    int hh = i * a.StrideH - a.PadH + u, ww = j * a.StrideW - a.PadW + v;
                                    if (hh >= 0 && hh < h && ww >= 0 && ww < w) dx[(p * h + hh) * w + ww] += (double)dy[yi] / div;
                                }
                        }
                    }
            return (ToFloat(y), ToFloat(dx));
        }

        public static (float[] Y, float[] Dx) Upsample(float[] x, int[] xs, float[] dy, int s)
        {
            int planes = xs[0] * xs[1], h = xs[2], w = xs[3];
            var y = new double[dy.Length];
            var dx = new double[x.Length];
            for (int p = 0; p < planes; p++)
                for (int i = 0; i < h * s; i++)
                    for (int j = 0; j < w * s; j++)
                    {
                        int yi = (p * h * s + i) * w * s + j, xi = (p * h + i / s) * w + j / s;
                        y[yi] = x[xi];
                        dx[xi] += dy[yi];
                    }
            return (ToFloat(y), ToFloat(dx));
        }

        private static float[] ToFloat(double[] v) => Array.ConvertAll(v, d => (float)d);
    }
}
