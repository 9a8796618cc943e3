using RawGan.Nn;

namespace RawGan.Tests;

/// <summary>Modules: PyTorch state-dict names, order and shapes; loading; modes; parameter gradients
/// against finite differences; initialisation.</summary>
public class LayerTests
{
    /// <summary>A model with its own parameter and buffer registered after a child, to pin PyTorch's
    /// order: own parameters, own buffers, then children.</summary>
    private sealed class Scaled : Module
    {
        public Scaled()
        {
            Main = RegisterModule("main", new Sequential(new Linear(3, 4, generator: new Generator(1)), new Tanh(), new Linear(4, 2, bias: false, generator: new Generator(2))));
            Scale = RegisterParameter("scale", Tensor.Ones([2]));
            Calls = RegisterBuffer("calls", Tensor.Zeros([1]));
        }

        public Sequential Main { get; }
        public Tensor Scale { get; }
        public Tensor Calls { get; }

        public override Tensor Forward(Tensor x) => Main.Forward(x) * Scale;
    }

    private static string[] Describe(IEnumerable<KeyValuePair<string, Tensor>> entries) =>
        [.. entries.Select(e => $"{e.Key} {Shape.Format(e.Value.Shape)}")];

    [Fact]
    public void StateDict_OwnParametersThenBuffersThenChildren_AsPyTorch()
    {
        using var model = new Scaled();
        Assert.Equal(
            ["scale [2]", "calls [1]", "main.0.weight [4, 3]", "main.0.bias [4]", "main.2.weight [2, 4]"],
            Describe(model.StateDict()));
        Assert.Equal(["scale", "main.0.weight", "main.0.bias", "main.2.weight"], model.NamedParameters().Select(p => p.Name));
        Assert.Equal(["calls"], model.NamedBuffers().Select(b => b.Name));
        Assert.All(model.Parameters(), p => Assert.True(p.RequiresGrad));
        Assert.All(model.Buffers(), b => Assert.False(b.RequiresGrad));
        Assert.Equal(["", "main", "main.0", "main.1", "main.2"], model.NamedModules().Select(m => m.Name));
    }

    [Fact]
    public void SharedModule_ParametersListedOnce_StateDictListsEveryName()
    {
        var shared = new Linear(2, 2, generator: new Generator(3));
        using var model = new Sequential(shared, new ReLU(), shared);
        Assert.Equal(["0.weight", "0.bias"], model.NamedParameters().Select(p => p.Name));
        Assert.Equal(["0.weight", "0.bias", "2.weight", "2.bias"], model.StateDict().Keys);
    }

    [Fact]
    public void Register_RejectsDottedAndDuplicateNames()
    {
        var dotted = Assert.Throws<ArgumentException>(() => new Sequential().Append(new Named("a.b")));
        Assert.Contains("'a.b'", dotted.Message);
        var twice = Assert.Throws<ArgumentException>(() => new Named("w", "w"));
        Assert.Contains("already has a member named 'w'", twice.Message);
    }

    private sealed class Named : Module
    {
        public Named(params string[] names)
        {
            foreach (var name in names) RegisterParameter(name, Tensor.Zeros([1]));
        }

        public override Tensor Forward(Tensor x) => x;
    }

    [Fact]
    public void LoadStateDict_Strict_ListsMissingUnexpectedAndMismatched_AndCopiesNothing()
    {
        using var model = new Scaled();
        var before = model.Main[0] is Linear l ? l.Weight.ToFloatArray() : throw new InvalidOperationException();
        var state = new Dictionary<string, Tensor>
        {
            ["scale"] = Tensor.Full([2], 7),
            ["main.0.weight"] = Tensor.Zeros([4, 3]),
            ["main.0.bias"] = Tensor.Zeros([5]),
            ["main.2.weight"] = Tensor.Zeros([2, 4]),
            ["main.9.weight"] = Tensor.Zeros([1]),
        };
        var error = Assert.Throws<ArgumentException>(() => model.LoadStateDict(state));
        Assert.Contains("missing keys: calls", error.Message);
        Assert.Contains("unexpected keys: main.9.weight", error.Message);
        Assert.Contains("main.0.bias: shape [5] in the state dict, [4] in the model", error.Message);
        Assert.Equal(before, ((Linear)model.Main[0]).Weight.ToFloatArray());
        Assert.Equal([1f, 1f], model.Scale.ToFloatArray());

        // Non-strict still refuses a shape mismatch (as PyTorch), but reports missing/unexpected keys.
        var nonStrict = Assert.Throws<ArgumentException>(() => model.LoadStateDict(state, strict: false));
        Assert.DoesNotContain("missing", nonStrict.Message);
        state["main.0.bias"] = Tensor.FromArray([1.0, 2, 3, 4], [4]);
        var result = model.LoadStateDict(state, strict: false);
        Assert.Equal(["calls"], result.MissingKeys);
        Assert.Equal(["main.9.weight"], result.UnexpectedKeys);
        Assert.Equal([7f, 7f], model.Scale.ToFloatArray());
        Assert.Equal([1f, 2f, 3f, 4f], ((Linear)model.Main[0]).Bias!.ToFloatArray());
    }

    [Fact]
    public void LoadStateDict_RoundTrip_KeepsTensorObjects()
    {
        using var source = new Scaled();
        using var target = new Scaled();
        Init.Normal(source.Scale, 0, 1, new Generator(4));
        var scale = target.Scale;
        target.LoadStateDict(source.StateDict());
        Assert.Same(scale, target.Scale);
        Assert.Equal(source.Scale.ToFloatArray(), target.Scale.ToFloatArray());
        Assert.Equal(source.Forward(Tensor.Ones([1, 3])).ToFloatArray(), target.Forward(Tensor.Ones([1, 3])).ToFloatArray());
    }

    /// <summary>p = 0.5 alone could not tell p from 1 - p: its scale 1/(1 - p) equals 1/p.</summary>
    [Theory]
    [InlineData(0.2)]
    [InlineData(0.5)]
    [InlineData(0.8)]
    public void Dropout2d_DropsWholeChannels_AtRateP_ScalesTheRestBy1OverOneMinusP_IdentityInEval(double p)
    {
        var dropout = new Dropout2d(p, new Generator(6));
        var x = Tensor.Rand([8, 32, 3, 5], new Generator(7), low: 1, high: 2);
        var y = dropout.Forward(x).ToFloatArray();
        var input = x.ToFloatArray();
        int dropped = 0, planes = 8 * 32;
        for (int plane = 0; plane < planes; plane++)
        {
            var ys = y.AsSpan(plane * 15, 15);
            bool zero = ys[0] == 0f;
            dropped += zero ? 1 : 0;
            for (int i = 0; i < 15; i++)
                Assert.Equal(zero ? 0f : (float)(input[plane * 15 + i] * (1 / (1 - p))), ys[i], 1e-6f);
        }
        // Four standard deviations of the binomial count around p of the 256 channels.
        double spread = 4 * Math.Sqrt(planes * p * (1 - p));
        Assert.InRange(dropped, planes * p - spread, planes * p + spread);

        dropout.Eval();
        Assert.Same(x, dropout.Forward(x));
        Assert.Throws<ArgumentException>(() => new Dropout2d(0.5).Train().Forward(Tensor.Ones([4, 5])));
    }

    [Fact]
    public void Dropout_DropsElementsAtRateP_AndScalesTheRest()
    {
        var y = new Dropout(0.2, new Generator(8)).Forward(Tensor.Ones([100, 100])).ToFloatArray();
        Assert.All(y, v => Assert.True(v is 0f or 1.25f, $"{v}: neither dropped (0) nor kept and scaled by 1/(1 - 0.2)"));
        Assert.InRange(y.Count(v => v == 0f), 2000 - 160, 2000 + 160); // 4 standard deviations of 10,000 draws at 0.2
    }

    [Fact]
    public void TrainEval_SetsEveryModule_AndSwitchesDropout()
    {
        var dropout = new Dropout(0.5, new Generator(5));
        using var model = new Sequential(new Sequential(dropout), new ReLU());
        var x = Tensor.Ones([4, 50]);
        Assert.True(dropout.Training);
        var trained = model.Forward(x).ToFloatArray();
        Assert.Contains(0f, trained);
        Assert.Contains(2f, trained);
        Assert.All(trained, v => Assert.True(v is 0f or 2f));

        model.Eval();
        Assert.All(model.Modules(), m => Assert.False(m.Training));
        Assert.All(model.Forward(x).ToFloatArray(), v => Assert.Equal(1f, v));
        model.Train();
        Assert.True(dropout.Training);
    }

    [Fact]
    public void ZeroGrad_DropsGradients_ToDevice_KeepsObjects()
    {
        using var model = new Scaled();
        model.Forward(Tensor.Ones([2, 3])).Sum().Backward();
        Assert.All(model.Parameters(), p => Assert.NotNull(p.Grad));
        var parameters = model.Parameters().ToArray();
        model.To(Device.Cpu);
        Assert.Equal(parameters, model.Parameters());
        model.ZeroGrad();
        Assert.All(model.Parameters(), p => Assert.Null(p.Grad));
    }

    [Fact]
    public void Parameters_OutliveTheScopeTheyWereBuiltIn()
    {
        Linear layer;
        using (new TensorScope())
            layer = new Linear(3, 2, generator: new Generator(6));
        Assert.False(layer.Weight.IsDisposed);
        Assert.Equal([1, 2], layer.Forward(Tensor.Ones([1, 3])).Shape);
        layer.Dispose();
        Assert.True(layer.Weight.IsDisposed);
    }

    [Fact]
    public void Linear_Reshape_Flatten_Shapes()
    {
        using var model = new Sequential(new Linear(6, 2 * 3 * 4, generator: new Generator(7)), new Reshape(2, 3, 4), new Flatten(2), new Flatten());
        var x = Tensor.Ones([5, 6]);
        Assert.Equal([5, 2, 3, 4], ((Reshape)model[1]).Forward(model[0].Forward(x)).Shape);
        Assert.Equal([5, 24], model.Forward(x).Shape);
        Assert.Equal([5, 2, 12], new Flatten(2).Forward(Tensor.Ones([5, 2, 3, 4])).Shape);
        Assert.Equal([5, 6, 4], new Flatten(1, 2).Forward(Tensor.Ones([5, 2, 3, 4])).Shape);
        Assert.Equal([7, 2, 3], new Linear(4, 3, generator: new Generator(8)).Forward(Tensor.Ones([7, 2, 4])).Shape);
    }

    [Fact]
    public void ActivationModules_MatchTheirFunctions()
    {
        var x = GradCheck.Random([3, 5], 9, -3, 3);
        Assert.Equal(F.Relu(x).ToDoubleArray(), new ReLU().Forward(x).ToDoubleArray());
        Assert.Equal(F.LeakyRelu(x, 0.2).ToDoubleArray(), new LeakyReLU(0.2).Forward(x).ToDoubleArray());
        Assert.Equal(F.Elu(x, 1.5).ToDoubleArray(), new ELU(1.5).Forward(x).ToDoubleArray());
        Assert.Equal(F.Tanh(x).ToDoubleArray(), new Tanh().Forward(x).ToDoubleArray());
        Assert.Equal(F.Sigmoid(x).ToDoubleArray(), new Sigmoid().Forward(x).ToDoubleArray());
        Assert.Equal(F.Softplus(x).ToDoubleArray(), new Softplus().Forward(x).ToDoubleArray());
        Assert.Equal(0.01, new LeakyReLU().NegativeSlope);
        Assert.Equal(1.0, new ELU().Alpha);
    }

    // ---- convolutional models ----

    /// <summary>A model whose layers sit in a Sequential registered as "main", as in pytorch/examples.</summary>
    internal sealed class MainNet : Module
    {
        public MainNet(params Module[] layers) => Main = RegisterModule("main", new Sequential(layers));

        public Sequential Main { get; }

        public override Tensor Forward(Tensor x) => Main.Forward(x);
    }

    /// <summary>pytorch/examples' DCGAN generator (dcgan/main.py) for 64 px, or with its widest block
    /// dropped for 32 px: z [N, nz, 1, 1] to [N, nc, S, S].</summary>
    internal static MainNet DcganGenerator(int imageSize, int nz, int ngf, int nc, Generator g, DType dtype = DType.Float32)
    {
        int blocks = imageSize == 64 ? 4 : imageSize == 32 ? 3 : throw new ArgumentOutOfRangeException(nameof(imageSize));
        var layers = new List<Module>();
        int inChannels = nz;
        for (int i = 0; i < blocks; i++)
        {
            int outChannels = ngf << (blocks - 1 - i);
            layers.Add(i == 0
                ? new ConvTranspose2d(inChannels, outChannels, 4, 1, 0, bias: false, generator: g, dtype: dtype)
                : new ConvTranspose2d(inChannels, outChannels, 4, 2, 1, bias: false, generator: g, dtype: dtype));
            layers.Add(new BatchNorm2d(outChannels, dtype: dtype));
            layers.Add(new ReLU());
            inChannels = outChannels;
        }
        layers.Add(new ConvTranspose2d(inChannels, nc, 4, 2, 1, bias: false, generator: g, dtype: dtype));
        layers.Add(new Tanh());
        return new MainNet([.. layers]);
    }

    /// <summary>pytorch/examples' DCGAN discriminator for 64 px, or with its widest block dropped for
    /// 32 px: [N, nc, S, S] to [N, 1, 1, 1].</summary>
    internal static MainNet DcganDiscriminator(int imageSize, int nc, int ndf, Generator g, DType dtype = DType.Float32)
    {
        int blocks = imageSize == 64 ? 4 : imageSize == 32 ? 3 : throw new ArgumentOutOfRangeException(nameof(imageSize));
        var layers = new List<Module>();
        int inChannels = nc;
        for (int i = 0; i < blocks; i++)
        {
            int outChannels = ndf << i;
            layers.Add(new Conv2d(inChannels, outChannels, 4, 2, 1, bias: false, generator: g, dtype: dtype));
            if (i > 0) layers.Add(new BatchNorm2d(outChannels, dtype: dtype));
            layers.Add(new LeakyReLU(0.2));
            inChannels = outChannels;
        }
        layers.Add(new Conv2d(inChannels, 1, 4, 1, 0, bias: false, generator: g, dtype: dtype));
        layers.Add(new Sigmoid());
        return new MainNet([.. layers]);
    }

    private static string[] BatchNormEntries(string prefix, int c) =>
        [$"{prefix}.weight [{c}]", $"{prefix}.bias [{c}]", $"{prefix}.running_mean [{c}]", $"{prefix}.running_var [{c}]", $"{prefix}.num_batches_tracked []"];

    [Fact]
    public void DcganGenerator_StateDict_MatchesPyTorchNamesAndShapes()
    {
        using var netG = DcganGenerator(32, nz: 100, ngf: 64, nc: 3, new Generator(20));
        Assert.Equal(
        [
            "main.0.weight [100, 256, 4, 4]", .. BatchNormEntries("main.1", 256),
            "main.3.weight [256, 128, 4, 4]", .. BatchNormEntries("main.4", 128),
            "main.6.weight [128, 64, 4, 4]", .. BatchNormEntries("main.7", 64),
            "main.9.weight [64, 3, 4, 4]",
        ], Describe(netG.StateDict()));
        Assert.Equal(10, netG.Parameters().Count());
        using var small = DcganGenerator(32, nz: 8, ngf: 4, nc: 3, new Generator(21));
        using (Autograd.Autograd.NoGrad())
            Assert.Equal([2, 3, 32, 32], small.Forward(Tensor.Randn([2, 8, 1, 1], new Generator(21))).Shape);
    }

    [Fact]
    public void DcganDiscriminator_StateDict_MatchesPyTorchNamesAndShapes()
    {
        using var netD = DcganDiscriminator(32, nc: 3, ndf: 64, new Generator(22));
        Assert.Equal(
        [
            "main.0.weight [64, 3, 4, 4]",
            "main.2.weight [128, 64, 4, 4]", .. BatchNormEntries("main.3", 128),
            "main.5.weight [256, 128, 4, 4]", .. BatchNormEntries("main.6", 256),
            "main.8.weight [1, 256, 4, 4]",
        ], Describe(netD.StateDict()));
        using var small = DcganDiscriminator(32, nc: 3, ndf: 4, new Generator(23));
        using (Autograd.Autograd.NoGrad())
            Assert.Equal([2, 1, 1, 1], small.Forward(Tensor.Randn([2, 3, 32, 32], new Generator(23))).Shape);
    }

    [Fact]
    public void EveryLayer_InASequential_HasPyTorchNamesShapesAndOutputShape()
    {
        using var model = new Sequential(
            new Conv2d(3, 4, 3, padding: 1, generator: new Generator(24)),
            new BatchNorm2d(4),
            new MaxPool2d(2),
            new Upsample(2),
            new AvgPool2d(2, stride: 2),
            new ConvTranspose2d(4, 6, 3, stride: 2, padding: 1, outputPadding: 1, groups: 2, generator: new Generator(25)),
            new Conv2d(6, 4, 3, stride: 2, padding: 2, dilation: 2, groups: 2, bias: false, generator: new Generator(26)),
            new BatchNorm2d(4, affine: false, trackRunningStats: false),
            new Flatten(),
            new Linear(64, 5, generator: new Generator(27)),
            new BatchNorm1d(5),
            new ELU(),
            new Dropout(0.2, new Generator(28)),
            new Reshape(5, 1),
            new BatchNorm1d(5, momentum: 0.5, affine: false));
        Assert.Equal(
        [
            "0.weight [4, 3, 3, 3]", "0.bias [4]", .. BatchNormEntries("1", 4),
            "5.weight [4, 3, 3, 3]", "5.bias [6]",
            "6.weight [4, 3, 3, 3]",
            "9.weight [5, 64]", "9.bias [5]", .. BatchNormEntries("10", 5),
            "14.running_mean [5]", "14.running_var [5]", "14.num_batches_tracked []",
        ], Describe(model.StateDict()));
        var y = model.Forward(Tensor.Randn([3, 3, 8, 8], new Generator(29)));
        Assert.Equal([3, 5, 1], y.Shape);
    }

    /// <summary>In training a Sequential runs BatchNorm + ReLU/LeakyReLU pairs as one fused op; the model
    /// computes what its layers one by one compute, and in eval mode the layers run as written.</summary>
    [Fact]
    public void Sequential_FusesBatchNormActivationPairs_InTraining_WithTheLayersValues()
    {
        Sequential Model() => new(new BatchNorm2d(3, dtype: DType.Float64), new LeakyReLU(0.2),
            new BatchNorm2d(3, dtype: DType.Float64), new ReLU(), new BatchNorm2d(3, dtype: DType.Float64), new Tanh());
        using var fused = Model();
        using var layered = Model();
        var x = GradCheck.Random([4, 3, 5, 5], 40, -2, 3);
        for (int step = 0; step < 2; step++) ForwardBackwardBoth(fused, layered, x);
        AssertSameGradients(layered, fused);
        foreach (var ((_, b), (_, c)) in fused.NamedBuffers().Zip(layered.NamedBuffers()))
            Assert.Equal(c.ToDoubleArray(), b.ToDoubleArray(), new ToleranceComparer(1e-13));

        // The op two steps back from tanh: the second pair, fused in training, the ReLU alone in eval.
        Assert.Equal("batch_norm_leaky_relu", OpBefore(fused.Forward(x), 2));
        fused.Eval();
        Assert.Equal("relu", OpBefore(fused.Forward(x), 2));
    }

    /// <summary>The op that made the tensor <paramref name="steps"/> first inputs back from t.</summary>
    private static string OpBefore(Tensor t, int steps)
    {
        for (int i = 0; i < steps; i++) t = t.GradFn!.Inputs[0];
        return t.GradFn!.Op;
    }

    /// <summary>A forward and backward of <paramref name="fused"/>, and of its twin run layer by layer (which
    /// fuses nothing): the same outputs.</summary>
    private static void ForwardBackwardBoth(Sequential fused, Sequential layered, Tensor x)
    {
        var y = fused.Forward(x);
        var expected = x;
        for (int i = 0; i < layered.Count; i++) expected = layered[i].Forward(expected);
        Assert.Equal(expected.ToDoubleArray(), y.ToDoubleArray(), new ToleranceComparer(1e-13));
        y.Sum().Backward();
        expected.Sum().Backward();
    }

    private static void AssertSameGradients(Module expected, Module actual)
    {
        foreach (var ((_, p), (_, q)) in actual.NamedParameters().Zip(expected.NamedParameters()))
            Assert.Equal(q.Grad!.ToDoubleArray(), p.Grad!.ToDoubleArray(), new ToleranceComparer(1e-12));
    }

    /// <summary>Conv2d (with a bias) + ELU, ReLU or LeakyReLU run as one fused op in any mode; a Conv2d
    /// without a bias runs as written.</summary>
    [Fact]
    public void Sequential_FusesConvBiasActivationPairs_WithTheLayersValues()
    {
        Sequential Model() => new(new Conv2d(3, 4, 3, padding: 1, generator: new Generator(42), dtype: DType.Float64), new ELU(),
            new Conv2d(4, 4, 3, padding: 1, generator: new Generator(43), dtype: DType.Float64), new LeakyReLU(0.2),
            new Conv2d(4, 2, 3, bias: false, generator: new Generator(44), dtype: DType.Float64), new ReLU());
        using var fused = Model();
        using var layered = Model();
        var x = GradCheck.Random([2, 3, 6, 6], 45);
        ForwardBackwardBoth(fused, layered, x);
        AssertSameGradients(layered, fused);

        fused.Eval();
        using (Autograd.Autograd.NoGrad()) Assert.Null(fused.Forward(x).GradFn);
        var z = fused.Forward(x);
        Assert.Equal("relu", OpBefore(z, 0));
        Assert.Equal("conv2d", OpBefore(z, 1));
        Assert.Equal("bias_leaky_relu", OpBefore(z, 2));
        Assert.Equal("bias_elu", OpBefore(z, 4));
    }

    [Fact]
    public void BatchNorm_Train_UsesBatchStatsAndUpdatesRunningOnes_Eval_UsesRunningOnes()
    {
        using var bn = new BatchNorm2d(2, dtype: DType.Float64);
        // Channel 0 holds 1..8, channel 1 holds 10 * (1..8), over N = 2, H = 2, W = 2.
        var data = new double[16];
        for (int n = 0; n < 2; n++)
            for (int i = 0; i < 4; i++)
            {
                data[n * 8 + i] = 1 + n * 4 + i;
                data[n * 8 + 4 + i] = 10 * (1 + n * 4 + i);
            }
        var x = Tensor.FromArray(data, [2, 2, 2, 2]);
        var y = bn.Forward(x).ToDoubleArray();
        // Batch mean 4.5 and biased variance 5.25 for channel 0: y = (x - 4.5) / sqrt(5.25 + eps).
        Assert.Equal((1 - 4.5) / Math.Sqrt(5.25 + 1e-5), y[0], 10);
        // Running stats: 0.9 * initial + 0.1 * batch, with the unbiased variance 6 (channel 0) and 600.
        Assert.Equal([0.45, 4.5], bn.RunningMean!.ToDoubleArray(), new ToleranceComparer(1e-12));
        Assert.Equal([0.9 + 0.6, 0.9 + 60], bn.RunningVar!.ToDoubleArray(), new ToleranceComparer(1e-9));
        Assert.Equal(1.0, bn.NumBatchesTracked!.Item());

        bn.Eval();
        var eval = bn.Forward(x).ToDoubleArray();
        Assert.Equal((1 - 0.45) / Math.Sqrt(1.5 + 1e-5), eval[0], 10);
        Assert.Equal((10 - 4.5) / Math.Sqrt(60.9 + 1e-5), eval[4], 10);
        Assert.Equal(1.0, bn.NumBatchesTracked.Item());
        Assert.Equal([0.45, 4.5], bn.RunningMean.ToDoubleArray(), new ToleranceComparer(1e-12));

        bn.Train();
        bn.Forward(x);
        Assert.Equal(2.0, bn.NumBatchesTracked.Item());
        bn.ResetRunningStats();
        Assert.Equal([0.0, 0.0], bn.RunningMean.ToDoubleArray());
        Assert.Equal(0.0, bn.NumBatchesTracked.Item());
    }

    private sealed class ToleranceComparer(double tolerance) : IEqualityComparer<double>
    {
        public bool Equals(double a, double b) => Math.Abs(a - b) <= tolerance;
        public int GetHashCode(double value) => 0;
    }

    // ---- gradients ----

    /// <summary>Every parameter's gradient (and the input's) from backward against float64 central
    /// differences of sum(model(x) * w), w fixed and random. Parameters are perturbed in place, so
    /// this checks the module as it is used, not just its functional op.</summary>
    internal static void CheckParameterGradients(string name, Module model, Tensor input, double eps = 1e-6, double atol = 1e-6, double rtol = 1e-4)
    {
        input.RequiresGrad = true;
        input.Grad = null;
        model.ZeroGrad();
        var probe = model.Forward(input);
        var weights = GradCheck.Random(probe.Shape, seed: 99);
        F.Sum(probe * weights).Backward();

        double Objective()
        {
            using var noGrad = Autograd.Autograd.NoGrad();
            return F.Sum(model.Forward(input) * weights).Item();
        }

        foreach (var (pname, p) in model.NamedParameters().Append(("input", input)))
        {
            var analytic = p.Grad?.ToDoubleArray() ?? new double[p.NumEl];
            var data = p.ToDoubleArray();
            int worst = -1;
            double worstExcess = 0, worstNumeric = 0;
            for (int i = 0; i < data.Length; i++)
            {
                double saved = data[i];
                data[i] = saved + eps;
                p.CopyFrom(Tensor.FromArray(data, p.Shape));
                double plus = Objective();
                data[i] = saved - eps;
                p.CopyFrom(Tensor.FromArray(data, p.Shape));
                double minus = Objective();
                data[i] = saved;
                p.CopyFrom(Tensor.FromArray(data, p.Shape));
                double numeric = (plus - minus) / (2 * eps);
                double excess = Math.Abs(analytic[i] - numeric) - (atol + rtol * Math.Abs(numeric));
                if (double.IsNaN(analytic[i]) || excess > worstExcess)
                {
                    (worst, worstNumeric) = (i, numeric);
                    worstExcess = double.IsNaN(analytic[i]) ? double.PositiveInfinity : excess;
                }
            }
            if (worst >= 0)
                Assert.Fail($"{name}: gradient of {pname} (shape {Shape.Format(p.Shape)}) is wrong at element {worst}: " +
                            $"backward {analytic[worst]:G10}, finite difference {worstNumeric:G10}");
        }
    }

    [Fact]
    public void Mlp_ParameterGradients_MatchFiniteDifferences()
    {
        var g = new Generator(10);
        using var model = new Sequential(
            new Linear(5, 6, generator: g, dtype: DType.Float64), new Tanh(),
            new Linear(6, 4, bias: false, generator: g, dtype: DType.Float64), new ELU(0.7),
            new Linear(4, 3, generator: g, dtype: DType.Float64), new Sigmoid());
        CheckParameterGradients("mlp", model, GradCheck.Random([3, 5], 11));
    }

    [Fact]
    public void ConvNet_ParameterGradients_MatchFiniteDifferences()
    {
        var g = new Generator(30);
        using var model = new Sequential(
            new Conv2d(2, 3, 3, padding: 1, generator: g, dtype: DType.Float64),
            new BatchNorm2d(3, dtype: DType.Float64),
            new LeakyReLU(0.2),
            new ConvTranspose2d(3, 2, 4, stride: 2, padding: 1, generator: g, dtype: DType.Float64),
            new MaxPool2d(2),
            new Upsample(2),
            new AvgPool2d(2),
            new Flatten(),
            new Linear(32, 3, generator: g, dtype: DType.Float64),
            new Tanh());
        CheckParameterGradients("conv net (training mode)", model, GradCheck.Random([2, 2, 4, 4], 31));
        model.Eval();
        CheckParameterGradients("conv net (eval mode)", model, GradCheck.Random([2, 2, 4, 4], 32));
    }

    [Fact]
    public void BatchNorm1d_ParameterGradients_MatchFiniteDifferences()
    {
        var g = new Generator(33);
        using var model = new Sequential(
            new Linear(5, 4, generator: g, dtype: DType.Float64), new BatchNorm1d(4, dtype: DType.Float64), new ELU(),
            new Reshape(2, 2), new BatchNorm1d(2, dtype: DType.Float64));
        CheckParameterGradients("linear + batch norm 1d", model, GradCheck.Random([6, 5], 34));
    }

    // ---- initialisation ----

    [Fact]
    public void DefaultInit_IsDeterministicPerSeed_AndBoundedBy1OverSqrtFanIn()
    {
        var a = new Linear(400, 300, generator: new Generator(12));
        var b = new Linear(400, 300, generator: new Generator(12));
        var c = new Linear(400, 300, generator: new Generator(13));
        Assert.Equal(a.Weight.ToFloatArray(), b.Weight.ToFloatArray());
        Assert.Equal(a.Bias!.ToFloatArray(), b.Bias!.ToFloatArray());
        Assert.NotEqual(a.Weight.ToFloatArray(), c.Weight.ToFloatArray());

        double bound = 1 / Math.Sqrt(400);
        var w = a.Weight.ToDoubleArray();
        Assert.All(w, v => Assert.InRange(Math.Abs(v), 0, bound));
        Assert.All(a.Bias.ToDoubleArray(), v => Assert.InRange(Math.Abs(v), 0, bound));
        // U(-b, b) has mean 0 and variance b^2 / 3.
        var (mean, std) = Stats(w);
        Assert.InRange(mean, -0.01 * bound, 0.01 * bound);
        Assert.InRange(std, 0.99 * bound / Math.Sqrt(3), 1.01 * bound / Math.Sqrt(3));
        // Weight then bias from one stream: the bias is the stream's continuation.
        Assert.NotEqual(a.Weight.ToFloatArray()[..300], a.Bias.ToFloatArray());
    }

    [Fact]
    public void Initialisers_HaveTheirDocumentedStatistics()
    {
        var t = Tensor.Empty([256, 64, 3, 3]);
        var (fanIn, fanOut) = Init.CalculateFanInAndFanOut(t);
        Assert.Equal((64 * 9, 256 * 9), (fanIn, fanOut));

        var (mean, std) = Stats(Init.Normal(t, 1, 0.02, new Generator(14)).ToDoubleArray());
        Assert.InRange(mean, 1 - 1e-3, 1 + 1e-3);
        Assert.InRange(std, 0.0198, 0.0202);

        double kaiming = Math.Sqrt(3.0) * Math.Sqrt(2) / Math.Sqrt(fanIn);
        var k = Init.KaimingUniform(t, nonlinearity: Nonlinearity.Relu, generator: new Generator(15)).ToDoubleArray();
        Assert.All(k, v => Assert.InRange(Math.Abs(v), 0, kaiming));
        Assert.InRange(Stats(k).Std, 0.99 * kaiming / Math.Sqrt(3), 1.01 * kaiming / Math.Sqrt(3));

        double xavier = Math.Sqrt(6.0 / (fanIn + fanOut));
        var x = Init.XavierUniform(t, generator: new Generator(16)).ToDoubleArray();
        Assert.All(x, v => Assert.InRange(Math.Abs(v), 0, xavier));
        Assert.InRange(Stats(x).Std, 0.99 * xavier / Math.Sqrt(3), 1.01 * xavier / Math.Sqrt(3));

        Assert.All(Init.Constant(t, 0.5).ToDoubleArray(), v => Assert.Equal(0.5, v));
        Assert.All(Init.Zeros(t).ToDoubleArray(), v => Assert.Equal(0, v));
        Assert.All(Init.Ones(t).ToDoubleArray(), v => Assert.Equal(1, v));
        Assert.Equal(5.0 / 3, Init.CalculateGain(Nonlinearity.Tanh));
        Assert.Equal(Math.Sqrt(2 / 1.04), Init.CalculateGain(Nonlinearity.LeakyRelu, 0.2), 12);
    }

    [Fact]
    public void DcganInit_GivesConvWeightsN0_002_AndBatchNormN1_002()
    {
        using var model = new MainNet(
            new ConvTranspose2d(128, 256, 4, bias: false, generator: new Generator(40)), new BatchNorm2d(4096),
            new Conv2d(256, 128, 4, generator: new Generator(41)), new Linear(3, 3, generator: new Generator(42)));
        var convBias = ((Conv2d)model.Main[2]).Bias!.ToFloatArray();
        var linear = ((Linear)model.Main[3]).Weight.ToFloatArray();
        Init.DcganInit(model, new Generator(43));

        foreach (var weight in new[] { ((ConvTranspose2d)model.Main[0]).Weight, ((Conv2d)model.Main[2]).Weight })
        {
            var (mean, std) = Stats(weight.ToDoubleArray());
            Assert.InRange(mean, -1e-4, 1e-4);
            Assert.InRange(std, 0.0199, 0.0201);
        }
        var bn = (BatchNorm2d)model.Main[1];
        var (bnMean, bnStd) = Stats(bn.Weight!.ToDoubleArray());
        Assert.InRange(bnMean, 1 - 2e-3, 1 + 2e-3);
        Assert.InRange(bnStd, 0.019, 0.021);
        Assert.All(bn.Bias!.ToFloatArray(), v => Assert.Equal(0f, v));
        // Only conv and batch-norm weights are touched, as in the DCGAN code.
        Assert.Equal(convBias, ((Conv2d)model.Main[2]).Bias!.ToFloatArray());
        Assert.Equal(linear, ((Linear)model.Main[3]).Weight.ToFloatArray());
    }

    [Fact]
    public void ModelInit_IsDeterministicPerSeed()
    {
        using var a = DcganGenerator(32, 8, 4, 1, new Generator(44));
        using var b = DcganGenerator(32, 8, 4, 1, new Generator(44));
        using var c = DcganGenerator(32, 8, 4, 1, new Generator(45));
        Assert.Equal(a.StateDict()["main.0.weight"].ToFloatArray(), b.StateDict()["main.0.weight"].ToFloatArray());
        Assert.NotEqual(a.StateDict()["main.0.weight"].ToFloatArray(), c.StateDict()["main.0.weight"].ToFloatArray());
        Init.DcganInit(a, new Generator(46));
        Init.DcganInit(b, new Generator(46));
        Init.DcganInit(c, new Generator(47));
        foreach (var ((name, ta), (_, tb)) in a.StateDict().Zip(b.StateDict()))
            Assert.True(ta.ToFloatArray().SequenceEqual(tb.ToFloatArray()), $"{name} differs between two models from one seed");
        Assert.NotEqual(a.StateDict()["main.0.weight"].ToFloatArray(), c.StateDict()["main.0.weight"].ToFloatArray());

        // ConvTranspose2d's default bound uses PyTorch's fan_in of the IOHW weight: out / groups * k * k.
        using var convT = new ConvTranspose2d(16, 6, 3, groups: 2, generator: new Generator(48));
        double bound = 1 / Math.Sqrt(3 * 9);
        Assert.All(convT.Weight.ToDoubleArray(), v => Assert.InRange(Math.Abs(v), 0, bound));
        Assert.True(convT.Weight.ToDoubleArray().Max(Math.Abs) > 0.9 * bound);
    }

    internal static (double Mean, double Std) Stats(double[] values)
    {
        double mean = values.Average();
        double variance = values.Sum(v => (v - mean) * (v - mean)) / values.Length;
        return (mean, Math.Sqrt(variance));
    }
}
