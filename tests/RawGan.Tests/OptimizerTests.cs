using System.Numerics;
using System.Text.Json;
using RawGan.Backends.Cpu;
using RawGan.Nn;
using RawGan.Optim;

namespace RawGan.Tests;

/// <summary>Optimizer steps against hand-computed values, the SIMD updates against the plain loops bit
/// for bit, and checkpoints that resume exactly.</summary>
public class OptimizerTests
{
    private static Tensor Param(params double[] values)
    {
        var p = Tensor.FromArray(values, [values.Length]);
        p.RequiresGrad = true;
        return p;
    }

    private static void SetGrad(Tensor p, params double[] values)
    {
        p.Grad?.Dispose();
        p.Grad = Tensor.FromArray(values, [values.Length]);
    }

    private static void AssertClose(double[] expected, Tensor actual, double tol = 1e-12)
    {
        var a = actual.ToDoubleArray();
        Assert.Equal(expected.Length, a.Length);
        for (int i = 0; i < a.Length; i++)
            Assert.True(Math.Abs(expected[i] - a[i]) <= tol, $"element {i}: expected {expected[i]:G17}, got {a[i]:G17}");
    }

    [Fact]
    public void Sgd_MomentumAndWeightDecay_TwoSteps_MatchHandComputedValues()
    {
        var p = Param(1, -2);
        using var sgd = new SGD([p], lr: 0.1, momentum: 0.9, weightDecay: 0.1);
        SetGrad(p, 0.5, 0.25);
        sgd.Step();
        // d = g + 0.1 p = [0.6, 0.05]; buf = d; p -= 0.1 buf
        AssertClose([0.94, -2.005], p);
        sgd.Step();
        // d = [0.5 + 0.094, 0.25 - 0.2005]; buf = 0.9 [0.6, 0.05] + d = [1.134, 0.0945]
        AssertClose([0.8266, -2.01445], p);

        var plain = Param(1, -2);
        using var noMomentum = new SGD([plain], lr: 0.5);
        SetGrad(plain, 0.5, 0.25);
        noMomentum.Step();
        AssertClose([0.75, -2.125], plain);
        Assert.Empty(noMomentum.StateDict().Tensors);
    }

    [Fact]
    public void Adam_TwoSteps_MatchTextbookBiasCorrectedUpdate()
    {
        var p = Param(1, -2);
        using var adam = new Adam([p], lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8);
        SetGrad(p, 0.5, 0.25);
        adam.Step();
        // Step 1: m_hat = g, v_hat = g^2, so p -= lr g / (|g| + eps) = lr sign(g) (to 1e-8).
        AssertClose([1 - 0.1 * 0.5 / (0.5 + 1e-8), -2 - 0.1 * 0.25 / (0.25 + 1e-8)], p);
        AssertClose([0.9, -2.1], p, tol: 1e-8);

        SetGrad(p, -0.1, 0.3);
        adam.Step();
        double[] expected = new double[2];
        double[] p1 = [1 - 0.1 * 0.5 / (0.5 + 1e-8), -2 - 0.1 * 0.25 / (0.25 + 1e-8)];
        double[] g1 = [0.5, 0.25], g2 = [-0.1, 0.3];
        for (int i = 0; i < 2; i++)
        {
            double m = 0.9 * (0.1 * g1[i]) + 0.1 * g2[i];
            double v = 0.999 * (0.001 * g1[i] * g1[i]) + 0.001 * g2[i] * g2[i];
            double mHat = m / (1 - 0.9 * 0.9), vHat = v / (1 - 0.999 * 0.999);
            expected[i] = p1[i] - 0.1 * mHat / (Math.Sqrt(vHat) + 1e-8);
        }
        AssertClose(expected, p);
        Assert.Equal(2, adam.StateDict().Scalars["state.0.step"]);
    }

    [Fact]
    public void RmsProp_InitialMeanAndWeightDecay_MatchTorch7()
    {
        var p = Param(1, -2);
        using var rms = new RMSprop([p], lr: 0.01, alpha: 0.99, eps: 1e-8, initialMean: 1);
        SetGrad(p, 0.5, 0.25);
        rms.Step();
        // m = 0.99 * 1 + 0.01 g^2
        AssertClose([1 - 0.01 * 0.5 / (Math.Sqrt(0.9925) + 1e-8), -2 - 0.01 * 0.25 / (Math.Sqrt(0.990625) + 1e-8)], p);
        AssertClose([0.9925, 0.990625], rms.StateDict().Tensors["state.0.square_avg"]);

        // From m = 0 the first step is lr sign(g) / sqrt(1 - alpha) (to eps), here with decay added to g.
        var q = Param(1, -2);
        using var fromZero = new RMSprop([q], lr: 0.01, weightDecay: 0.5);
        SetGrad(q, 0.5, 0.25);
        fromZero.Step();
        // d = g + 0.5 p = [1, -0.75]; m = 0.01 d^2; p -= 0.01 d / (0.1 |d| + eps)
        AssertClose([1 - 0.01 * 1 / (0.1 + 1e-8), -2 + 0.01 * 0.75 / (0.1 * 0.75 + 1e-8)], q, tol: 1e-12);
    }

    [Fact]
    public void Step_SkipsParametersWithoutGradient_ZeroGradDropsThem()
    {
        var a = Param(1);
        var b = Param(2);
        using var adam = new Adam([a, b], lr: 0.1);
        SetGrad(a, 1);
        adam.Step();
        Assert.Equal(2.0, b.Item());
        var state = adam.StateDict();
        Assert.Equal(1, state.Scalars["state.0.step"]);
        Assert.False(state.Scalars.ContainsKey("state.1.step"));
        Assert.Equal(["state.0.exp_avg", "state.0.exp_avg_sq"], state.Tensors.Keys.Order());
        adam.ZeroGrad();
        Assert.Null(a.Grad);
    }

    [Fact]
    public void Constructor_And_Setters_RejectInvalidHyperparameters()
    {
        var p = Param(1);
        Assert.Throws<ArgumentOutOfRangeException>(() => new Adam([p], beta1: 1.0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SGD([p], lr: -1));
        Assert.Throws<ArgumentException>(() => new SGD([p, p], lr: 1));
        Assert.Throws<ArgumentException>(() => new SGD([], lr: 1));
        using var sgd = new SGD([p], lr: 0.1);
        Assert.Throws<ArgumentOutOfRangeException>(() => sgd.LearningRate = double.NaN);
        sgd.LearningRate = 0.05;
        Assert.Equal(0.05, sgd.StateDict().Scalars["lr"]);
    }

    // ---- one backend call per step count (a multi-tensor launch on CUDA) ----

    /// <summary>A leaf of n random values in [-1, 1).</summary>
    private static Tensor Random(int n, int seed, DType dtype)
    {
        var p = GradCheck.Random([n], seed).To(dtype);
        p.RequiresGrad = true;
        return p;
    }

    [Theory]
    [MemberData(nameof(Algorithms))]
    public void Step_ParametersThatSatOutSteps_UpdateAsIfEachHadItsOwnOptimizer(string algorithm)
    {
        // Float32 and float64, and gradients missing on some steps: most steps update groups of
        // different step counts, each in one backend call.
        (int N, DType DType)[] specs = [(7, DType.Float32), (33, DType.Float32), (5, DType.Float64), (1, DType.Float32)];
        bool[][] hasGrad = [[true, true, false, true], [true, false, true, true], [true, true, true, false], [true, true, true, true]];
        Tensor[] Make() => [.. specs.Select((s, k) => Random(s.N, k, s.DType))];
        var together = Make();
        var alone = Make();
        using var optimizer = Create(algorithm, together);
        var single = alone.Select(p => Create(algorithm, [p])).ToArray();
        for (int step = 0; step < hasGrad.Length; step++)
        {
            for (int k = 0; k < specs.Length; k++)
            {
                together[k].Grad = hasGrad[step][k] ? Random(specs[k].N, 10 * step + k, specs[k].DType) : null;
                alone[k].Grad = together[k].Grad?.Clone();
            }
            optimizer.Step();
            for (int k = 0; k < specs.Length; k++)
                if (hasGrad[step][k]) single[k].Step();
        }
        for (int k = 0; k < specs.Length; k++)
        {
            Assert.True(alone[k].ToDoubleArray().SequenceEqual(together[k].ToDoubleArray()), $"{algorithm}: parameter {k} differs");
            Assert.Equal(single[k].StateDict().Scalars["state.0.step"], optimizer.StateDict().Scalars[$"state.{k}.step"]);
            single[k].Dispose();
        }
    }

    [Fact]
    public void CapturedStep_HasOneCellPerStepCount_AndEachReplayMovesEveryGroupOn()
    {
        // The last parameter sits out the first step: from then on it is one step behind the others.
        Tensor[] Make() => [Random(3, 1, DType.Float32), Random(9, 2, DType.Float32), Random(4, 3, DType.Float32)];
        var recorded = Make();
        var eager = Make();
        using var a = new Adam(recorded, lr: 0.01, beta1: 0.5);
        using var b = new Adam(eager, lr: 0.01, beta1: 0.5);
        for (int step = 1; step <= 3; step++)
        {
            for (int k = 0; k < 3; k++)
            {
                recorded[k].Grad = step == 1 && k == 2 ? null : Random(recorded[k].NumEl, 10 * step + k, DType.Float32);
                eager[k].Grad = recorded[k].Grad?.Clone();
            }
            if (step < 3)
            {
                a.Step();
                b.Step();
            }
        }
        static float[] Cell(int step)
        {
            var (stepSize, correction2) = Backends.AdamCorrections.For(0.01, 0.5, 0.999, step);
            return [(float)stepSize, (float)correction2];
        }

        using var capture = StepCapture.Begin(Device.Cpu);
        a.Step();
        capture.End();
        b.Step();
        for (int k = 0; k < 3; k++)
            Assert.True(eager[k].ToFloatArray().SequenceEqual(recorded[k].ToFloatArray()), $"parameter {k}: the recorded step differs from the eager one");
        Assert.Equal([.. Cell(3), .. Cell(2)], capture.Values.ToArray());

        capture.BeforeReplay(first: false);
        b.Step();
        Assert.Equal([.. Cell(4), .. Cell(3)], capture.Values.ToArray());
        Assert.Equal(b.StateDict().Scalars, a.StateDict().Scalars);
    }

    // ---- SIMD updates: the same bits as the per-element loops (and so as the CUDA kernels) ----

    /// <summary>Lengths with tails of every size around the vector widths, and one split across cores.</summary>
    private static readonly int[] UpdateLengths = [1, 3, 7, 8, 9, 17, 33, 1003, 70001];

    [Fact]
    public void Adam_Sgd_RmsProp_Simd_GiveThePlainLoopsBits()
    {
        foreach (int n in UpdateLengths)
            foreach (double weightDecay in new[] { 0.0, 0.01 })
            {
                CheckUpdates<float>(n, weightDecay);
                CheckUpdates<double>(n, weightDecay);
            }
    }

    private static void CheckUpdates<T>(int n, double weightDecay) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var b = CpuBackend.Instance;
        T wd = T.CreateTruncating(weightDecay);
        string what = $"{typeof(T).Name}[{n}] weight decay {weightDecay}";

        // Adam, three steps, the update as CpuBackend wrote it before SIMD.
        double lr = 2e-4, beta1 = 0.5, beta2 = 0.999, eps = 1e-8;
        T[] p = Draw<T>(n, 1), m = new T[n], v = new T[n];
        var (pt, mt, vt) = (Typed(p), Typed(m), Typed(v));
        for (int step = 1; step <= 3; step++)
        {
            T[] g = Draw<T>(n, 10 + step);
            b.AdamStep([new(pt, Typed(g), mt, vt)], lr, beta1, beta2, eps, weightDecay, step);
            T b1 = T.CreateTruncating(beta1), b2 = T.CreateTruncating(beta2), epsilon = T.CreateTruncating(eps);
            T stepSize = T.CreateTruncating(lr / (1 - Math.Pow(beta1, step)));
            T correction2 = T.CreateTruncating(Math.Sqrt(1 - Math.Pow(beta2, step)));
            for (int i = 0; i < n; i++)
            {
                var d = g[i] + wd * p[i];
                m[i] = b1 * m[i] + (T.One - b1) * d;
                v[i] = b2 * v[i] + (T.One - b2) * d * d;
                p[i] -= stepSize * m[i] / (T.Sqrt(v[i]) / correction2 + epsilon);
            }
            AssertSameBits($"adam step {step} {what} param", p, pt);
            AssertSameBits($"adam step {step} {what} exp_avg", m, mt);
            AssertSameBits($"adam step {step} {what} exp_avg_sq", v, vt);
        }

        // SGD with momentum: the first step copies d into the buffer, later ones accumulate.
        T mu = T.CreateTruncating(0.9), rate = T.CreateTruncating(0.1);
        p = Draw<T>(n, 2);
        var buf = new T[n];
        (pt, var buft) = (Typed(p), Typed(buf));
        for (int step = 1; step <= 2; step++)
        {
            T[] g = Draw<T>(n, 20 + step);
            b.SgdStep([new(pt, Typed(g), buft, FirstStep: step == 1)], 0.1, 0.9, weightDecay);
            for (int i = 0; i < n; i++)
            {
                var d = g[i] + wd * p[i];
                buf[i] = step == 1 ? d : mu * buf[i] + d;
                p[i] -= rate * buf[i];
            }
            AssertSameBits($"sgd step {step} {what} param", p, pt);
            AssertSameBits($"sgd step {step} {what} momentum_buffer", buf, buft);
        }

        // RMSprop.
        T alpha = T.CreateTruncating(0.99), epsR = T.CreateTruncating(1e-8);
        p = Draw<T>(n, 3);
        var s = new T[n];
        (pt, var st) = (Typed(p), Typed(s));
        T[] gr = Draw<T>(n, 30);
        b.RmsPropStep([new(pt, Typed(gr), st)], 0.01, 0.99, 1e-8, weightDecay);
        for (int i = 0; i < n; i++)
        {
            var d = gr[i] + wd * p[i];
            s[i] = alpha * s[i] + (T.One - alpha) * d * d;
            p[i] -= T.CreateTruncating(0.01) * d / (T.Sqrt(s[i]) + epsR);
        }
        AssertSameBits($"rmsprop {what} param", p, pt);
        AssertSameBits($"rmsprop {what} square_avg", s, st);
    }

    /// <summary>Uniform draws in [-1, 1) with -0 and +0 mixed in, and one NaN that must travel the same way.</summary>
    private static T[] Draw<T>(int n, int seed) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var values = GradCheck.Random([n], seed).ToDoubleArray().Select(T.CreateTruncating).ToArray();
        for (int i = 4; i < n; i += 9) values[i] = i % 2 == 0 ? T.NegativeZero : T.Zero;
        if (n > 5) values[n / 2] = T.NaN;
        return values;
    }

    private static Tensor Typed<T>(T[] values) where T : unmanaged =>
        values is float[] f ? Tensor.FromArray(f, [f.Length]) : Tensor.FromArray((double[])(object)values, [values.Length]);

    private static void AssertSameBits<T>(string what, T[] expected, Tensor actual) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var a = actual.ToDoubleArray();
        for (int i = 0; i < expected.Length; i++)
            if (BitConverter.DoubleToInt64Bits(double.CreateTruncating(expected[i])) != BitConverter.DoubleToInt64Bits(a[i]))
                Assert.Fail($"{what}: element {i} is {a[i]:R}, expected {expected[i]}");
    }

    // ---- checkpoints ----

    private static Sequential Model() => new(
        new Linear(3, 5, generator: new Generator(21), dtype: DType.Float64), new Tanh(),
        new Linear(5, 2, generator: new Generator(22), dtype: DType.Float64));

    /// <summary>One deterministic step: the loss depends on the step number so gradients vary.</summary>
    private static void TrainStep(Sequential model, Optimizer optimizer, int step)
    {
        using var scope = new TensorScope();
        optimizer.ZeroGrad();
        var x = GradCheck.Random([4, 3], 100 + step);
        var target = GradCheck.Random([4, 2], 200 + step);
        F.MseLoss(model.Forward(x), target).Backward();
        optimizer.Step();
    }

    private static Dictionary<string, Tensor> Copy(IEnumerable<KeyValuePair<string, Tensor>> tensors)
    {
        using var noGrad = Autograd.Autograd.NoGrad();
        return tensors.ToDictionary(kv => kv.Key, kv => kv.Value.Clone().DetachFromScope());
    }

    public static TheoryData<string> Algorithms => ["sgd", "adam", "rmsprop"];

    private static Optimizer Create(string algorithm, IEnumerable<Tensor> parameters) => algorithm switch
    {
        "sgd" => new SGD(parameters, lr: 0.1, momentum: 0.9, weightDecay: 1e-3),
        "adam" => new Adam(parameters, lr: 0.01, beta1: 0.5, weightDecay: 1e-3),
        "rmsprop" => new RMSprop(parameters, lr: 0.01, alpha: 0.9, initialMean: 1),
        _ => throw new ArgumentException(algorithm),
    };

    [Theory]
    [MemberData(nameof(Algorithms))]
    public void StateDict_SaveLoadContinue_EqualsAnUninterruptedRun(string algorithm)
    {
        using var model = Model();
        using var optimizer = Create(algorithm, model.Parameters());
        for (int step = 0; step < 3; step++) TrainStep(model, optimizer, step);

        // The checkpoint: copies of the tensors, scalars through JSON, as a file would hold them.
        var modelState = Copy(model.StateDict());
        var saved = optimizer.StateDict();
        var tensors = Copy(saved.Tensors);
        var json = JsonSerializer.Serialize(saved.Scalars);
        optimizer.LearningRate *= 0.5;
        for (int step = 3; step < 6; step++) TrainStep(model, optimizer, step);

        using var resumed = Model();
        Init.Zeros(((Linear)resumed[0]).Weight);
        using var resumedOptimizer = Create(algorithm, resumed.Parameters());
        resumed.LoadStateDict(modelState);
        resumedOptimizer.LoadStateDict(new OptimizerState(algorithm, JsonSerializer.Deserialize<Dictionary<string, double>>(json)!, tensors));
        resumedOptimizer.LearningRate *= 0.5;
        for (int step = 3; step < 6; step++) TrainStep(resumed, resumedOptimizer, step);

        foreach (var ((name, expected), (_, actual)) in model.StateDict().Zip(resumed.StateDict()))
            Assert.True(expected.ToDoubleArray().SequenceEqual(actual.ToDoubleArray()), $"{algorithm}: {name} differs after resuming");
        Assert.Equal(optimizer.StateDict().Scalars, resumedOptimizer.StateDict().Scalars);
    }

    [Fact]
    public void LoadStateDict_ListsEveryProblem_AndChangesNothing()
    {
        var p = Param(1, 2);
        using var adam = new Adam([p], lr: 0.1);
        var wrongAlgorithm = new OptimizerState("sgd", new Dictionary<string, double> { ["lr"] = 1 }, new Dictionary<string, Tensor>());
        Assert.Contains("'sgd'", Assert.Throws<ArgumentException>(() => adam.LoadStateDict(wrongAlgorithm)).Message);

        var bad = new OptimizerState("adam",
            new Dictionary<string, double> { ["lr"] = 0.5, ["beta1"] = 0.9, ["eps"] = 1e-8, ["weight_decay"] = 0, ["momentum"] = 1, ["state.4.step"] = 1 },
            new Dictionary<string, Tensor> { ["state.0.exp_avg"] = Tensor.Zeros([3], DType.Float64), ["state.0.velocity"] = Tensor.Zeros([2], DType.Float64) });
        var error = Assert.Throws<ArgumentException>(() => adam.LoadStateDict(bad)).Message;
        Assert.Contains("missing hyper-parameter 'beta2'", error);
        Assert.Contains("unexpected scalar 'momentum'", error);
        Assert.Contains("unexpected scalar 'state.4.step'", error);
        Assert.Contains("'state.0.exp_avg' has shape [3], parameter 0 has [2]", error);
        Assert.Contains("unexpected tensor 'state.0.velocity'", error);
        Assert.Equal(0.1, adam.LearningRate);
    }
}
