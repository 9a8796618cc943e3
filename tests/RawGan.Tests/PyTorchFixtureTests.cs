using System.Text.Json;
using RawGan.Nn;
using RawGan.Optim;
using RawGan.Serialization;

namespace RawGan.Tests;

/// <summary>
/// Modules, whole DCGAN networks and optimizers against PyTorch's own numbers, in float64
/// (fixtures written by tools/fixtures/make_fixtures.py; its README documents every case). Each
/// module is loaded from PyTorch's tensors through <see cref="Module.LoadStateDict"/>, so the
/// state-dict names and layouts are checked too.
/// </summary>
public class PyTorchFixtureTests
{
    private static SafeTensorsFile Fixture(string group, string name) =>
        SafeTensorsFile.Read(Path.Combine(AppContext.BaseDirectory, "fixtures", group, name + ".safetensors"));

    private static JsonElement Args(SafeTensorsFile file) => JsonDocument.Parse(file.Metadata["args"]).RootElement;

    /// <summary>A float64 tensor of an entry; PyTorch's int64 counters (num_batches_tracked) become
    /// float64 as RawGan stores them.</summary>
    private static Tensor ToTensor(SafeTensorsEntry entry) => entry.DType switch
    {
        SafeTensorsDType.F64 => Tensor.FromArray(entry.ToDoubleArray(), entry.Shape),
        SafeTensorsDType.I64 => Tensor.FromArray(entry.ToInt64Array().Select(v => (double)v).ToArray(), entry.Shape),
        _ => throw new InvalidDataException($"fixture tensor {entry} is neither F64 nor I64"),
    };

    private static Tensor Input(SafeTensorsFile file, string name)
    {
        var t = ToTensor(file[name]);
        t.RequiresGrad = true;
        return t;
    }

    /// <summary>|actual - expected| &lt;= 1e-9 (|expected| + max |expected|): float64 round-off of
    /// differently ordered sums is far below this, a wrong formula far above.</summary>
    private static void AssertClose(string what, SafeTensorsEntry expected, Tensor? actual)
    {
        Assert.True(actual is not null, $"{what}: no value (a gradient that was never computed?)");
        Assert.True(expected.Shape.AsSpan().SequenceEqual(actual.Shape),
            $"{what}: shape {Shape.Format(actual.Shape)}, PyTorch's is {Shape.Format(expected.Shape)}");
        var e = ToTensor(expected).ToDoubleArray();
        var a = actual.ToDoubleArray();
        double scale = e.Length == 0 ? 0 : e.Max(Math.Abs);
        int worst = -1;
        double worstExcess = 0;
        for (int i = 0; i < e.Length; i++)
        {
            double excess = Math.Abs(a[i] - e[i]) - 1e-9 * (Math.Abs(e[i]) + scale);
            if (double.IsNaN(a[i]) || excess > worstExcess) (worst, worstExcess) = (i, double.IsNaN(a[i]) ? double.PositiveInfinity : excess);
        }
        if (worst >= 0)
            Assert.Fail($"{what} (shape {Shape.Format(actual.Shape)}) differs from PyTorch at element {worst}: {a[worst]:G17} vs {e[worst]:G17}");
    }

    /// <summary>A [h, w] pair of the fixture's args that a square-geometry module can express.</summary>
    private static int Square(JsonElement args, string key)
    {
        var pair = args.GetProperty(key);
        int h = pair[0].GetInt32(), w = pair[1].GetInt32();
        Assert.True(h == w, $"{key} [{h}, {w}] is not square; this case belongs to the functional op tests");
        return h;
    }

    /// <summary>Runs a module on the fixture's x, back-propagates its dy, and compares y and every gradient.</summary>
    private static void CheckForwardBackward(string name, SafeTensorsFile file, Module module, IEnumerable<(string Fixture, Tensor Parameter)> parameters)
    {
        var x = Input(file, "x");
        var y = module.Forward(x);
        AssertClose($"{name}: y", file["y"], y);
        y.Backward(ToTensor(file["dy"]));
        AssertClose($"{name}: dx", file["dx"], x.Grad);
        foreach (var (fixture, parameter) in parameters)
            AssertClose($"{name}: {fixture}", file[fixture], parameter.Grad);
    }

    // ---- layers ----

    [Theory]
    [InlineData("linear")]
    [InlineData("linear_nobias")]
    [InlineData("linear_3d_input")]
    public void Linear_MatchesPyTorch(string name)
    {
        var file = Fixture("ops", name);
        bool bias = Args(file).GetProperty("bias").GetBoolean();
        var w = file["w"];
        using var linear = new Linear(w.Shape[1], w.Shape[0], bias, dtype: DType.Float64);
        var state = new Dictionary<string, Tensor> { ["weight"] = ToTensor(w) };
        if (bias) state["bias"] = ToTensor(file["b"]);
        linear.LoadStateDict(state);
        CheckForwardBackward(name, file, linear, bias ? [("dw", linear.Weight), ("db", linear.Bias!)] : [("dw", linear.Weight)]);
    }

    // The fixtures with non-square kernels, strides or paddings exercise the functional ops; the
    // modules take square geometry only.
    [Theory]
    [InlineData("conv2d_k3")]
    [InlineData("conv2d_k4_s2_p1")]
    [InlineData("conv2d_k3_d2_p2")]
    [InlineData("conv2d_k3_p1_g2")]
    [InlineData("conv2d_k3_s2_p1_depthwise")]
    [InlineData("conv2d_k4_s1_p0_to1x1")]
    public void Conv2d_MatchesPyTorch(string name)
    {
        var file = Fixture("ops", name);
        var args = Args(file);
        bool bias = args.GetProperty("bias").GetBoolean();
        var w = file["w"];
        int groups = args.GetProperty("groups").GetInt32();
        Assert.Equal(w.Shape[2], w.Shape[3]);
        using var conv = new Conv2d(w.Shape[1] * groups, w.Shape[0], w.Shape[2],
            Square(args, "stride"), Square(args, "padding"), Square(args, "dilation"), groups, bias, dtype: DType.Float64);
        var state = new Dictionary<string, Tensor> { ["weight"] = ToTensor(w) };
        if (bias) state["bias"] = ToTensor(file["b"]);
        conv.LoadStateDict(state);
        CheckForwardBackward(name, file, conv, bias ? [("dw", conv.Weight), ("db", conv.Bias!)] : [("dw", conv.Weight)]);
    }

    [Theory]
    [InlineData("conv_transpose2d_k3")]
    [InlineData("conv_transpose2d_k4_s1_p0_from1x1")]
    [InlineData("conv_transpose2d_k4_s2_p1")]
    [InlineData("conv_transpose2d_k3_s2_p1_op1_g2")]
    public void ConvTranspose2d_MatchesPyTorch(string name)
    {
        var file = Fixture("ops", name);
        var args = Args(file);
        bool bias = args.GetProperty("bias").GetBoolean();
        var w = file["w"];
        int groups = args.GetProperty("groups").GetInt32();
        Assert.Equal(w.Shape[2], w.Shape[3]);
        using var convT = new ConvTranspose2d(w.Shape[0], w.Shape[1] * groups, w.Shape[2], Square(args, "stride"), Square(args, "padding"),
            Square(args, "output_padding"), groups, bias, Square(args, "dilation"), dtype: DType.Float64);
        var state = new Dictionary<string, Tensor> { ["weight"] = ToTensor(w) };
        if (bias) state["bias"] = ToTensor(file["b"]);
        convT.LoadStateDict(state);
        CheckForwardBackward(name, file, convT, bias ? [("dw", convT.Weight), ("db", convT.Bias!)] : [("dw", convT.Weight)]);
    }

    [Theory]
    [InlineData("batch_norm2d_train")]
    [InlineData("batch_norm2d_eval")]
    [InlineData("batch_norm1d_train")]
    [InlineData("batch_norm1d_eval")]
    [InlineData("batch_norm1d_train_3d")]
    public void BatchNorm_MatchesPyTorch_IncludingRunningStats(string name)
    {
        var file = Fixture("ops", name);
        var args = Args(file);
        int c = file["weight"].Shape[0];
        double eps = args.GetProperty("eps").GetDouble(), momentum = args.GetProperty("momentum").GetDouble();
        using BatchNorm bn = name.StartsWith("batch_norm2d", StringComparison.Ordinal)
            ? new BatchNorm2d(c, eps, momentum, dtype: DType.Float64)
            : new BatchNorm1d(c, eps, momentum, dtype: DType.Float64);
        bn.LoadStateDict(new Dictionary<string, Tensor>
        {
            ["weight"] = ToTensor(file["weight"]),
            ["bias"] = ToTensor(file["bias"]),
            ["running_mean"] = ToTensor(file["running_mean"]),
            ["running_var"] = ToTensor(file["running_var"]),
            ["num_batches_tracked"] = Tensor.Scalar(0, DType.Float64),
        });
        bn.Train(args.GetProperty("training").GetBoolean());
        CheckForwardBackward(name, file, bn, [("dweight", bn.Weight!), ("dbias", bn.Bias!)]);
        AssertClose($"{name}: running_mean", file["new_running_mean"], bn.RunningMean);
        AssertClose($"{name}: running_var", file["new_running_var"], bn.RunningVar);
    }

    // ---- whole networks ----

    /// <summary>Loads the fixture's state dict (every entry named main.*) strictly: names, order-free
    /// keys and shapes must match PyTorch's exactly.</summary>
    private static void LoadPyTorchState(Module model, SafeTensorsFile file) =>
        model.LoadStateDict(file.Entries.Where(e => e.Name.StartsWith("main.", StringComparison.Ordinal))
            .ToDictionary(e => e.Name, ToTensor));

    /// <summary>Compares the loss, every parameter's gradient and every buffer after the step.</summary>
    private static void CheckModelAfterBackward(string name, SafeTensorsFile file, Module model, Tensor loss)
    {
        AssertClose($"{name}: loss", file["loss"], loss);
        foreach (var (pname, p) in model.NamedParameters())
            AssertClose($"{name}: grad.{pname}", file["grad." + pname], p.Grad);
        foreach (var (bname, b) in model.NamedBuffers())
            AssertClose($"{name}: new.{bname}", file["new." + bname], b);
    }

    [Theory]
    [InlineData("dcgan32_generator")]
    [InlineData("dcgan64_generator")]
    public void DcganGenerator_MatchesPyTorch(string name)
    {
        var file = Fixture("models", name);
        var args = Args(file);
        using var netG = LayerTests.DcganGenerator(args.GetProperty("image_size").GetInt32(), args.GetProperty("nz").GetInt32(),
            args.GetProperty("ngf").GetInt32(), args.GetProperty("nc").GetInt32(), new Generator(60), DType.Float64);
        LoadPyTorchState(netG, file);

        var z = Input(file, "z");
        var y = netG.Forward(z);
        AssertClose($"{name}: y", file["y"], y);
        var loss = y.Mean();
        loss.Backward();
        CheckModelAfterBackward(name, file, netG, loss);
        AssertClose($"{name}: dz", file["dz"], z.Grad);
    }

    [Theory]
    [InlineData("dcgan32_discriminator")]
    [InlineData("dcgan64_discriminator")]
    public void DcganDiscriminator_MatchesPyTorch(string name)
    {
        var file = Fixture("models", name);
        var args = Args(file);
        using var netD = LayerTests.DcganDiscriminator(args.GetProperty("image_size").GetInt32(), args.GetProperty("nc").GetInt32(),
            args.GetProperty("ndf").GetInt32(), new Generator(61), DType.Float64);
        LoadPyTorchState(netD, file);

        var x = Input(file, "x");
        var y = netD.Forward(x).Reshape(-1);
        AssertClose($"{name}: y", file["y"], y);
        var loss = F.BinaryCrossEntropy(y, ToTensor(file["target"]));
        loss.Backward();
        CheckModelAfterBackward(name, file, netD, loss);
        AssertClose($"{name}: dx", file["dx"], x.Grad);
    }

    // ---- optimizers ----

    [Theory]
    [InlineData("sgd")]
    [InlineData("sgd_momentum")]
    [InlineData("sgd_momentum_wd")]
    [InlineData("adam")]
    [InlineData("adam_wd")]
    [InlineData("rmsprop")]
    [InlineData("rmsprop_alpha0.9_wd")]
    public void Optimizer_ThreeSteps_MatchPyTorch(string name)
    {
        var file = Fixture("optim", name);
        var args = Args(file);
        var p = Input(file, "param.0");
        double lr = args.GetProperty("lr").GetDouble(), wd = args.GetProperty("weight_decay").GetDouble();
        using Optimizer optimizer = file.Metadata["op"] switch
        {
            "sgd" => new SGD([p], lr, args.GetProperty("momentum").GetDouble(), wd),
            "adam" => new Adam([p], lr, args.GetProperty("betas")[0].GetDouble(), args.GetProperty("betas")[1].GetDouble(),
                args.GetProperty("eps").GetDouble(), wd),
            "rmsprop" => new RMSprop([p], lr, args.GetProperty("alpha").GetDouble(), args.GetProperty("eps").GetDouble(), wd),
            var op => throw new InvalidDataException($"unknown optimizer fixture op '{op}'"),
        };
        int steps = args.GetProperty("steps").GetInt32();
        for (int t = 1; t <= steps; t++)
        {
            p.Grad = ToTensor(file[$"grad.{t}"]);
            optimizer.Step();
            AssertClose($"{name}: param after step {t}", file[$"param.{t}"], p);
        }

        var state = optimizer.StateDict().Tensors;
        var expected = file.Entries.Where(e => e.Name.StartsWith("state.", StringComparison.Ordinal)).ToList();
        Assert.Equal(expected.Select(e => "state.0." + e.Name["state.".Length..]).Order(), state.Keys.Order());
        foreach (var entry in expected)
            AssertClose($"{name}: {entry.Name}", entry, state["state.0." + entry.Name["state.".Length..]]);
    }
}
