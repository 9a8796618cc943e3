using RawGan.Backends;

namespace RawGan.Tests;

/// <summary>
/// Every op case PyTorch 1.13 wrote to fixtures/ops (tools/fixtures/make_fixtures.py; each case is
/// described in tools/fixtures/README.md). The RawGan op runs in float64 on the stored inputs with the
/// stored args; its output, the gradient of sum(y * dy) for every input PyTorch differentiated, and
/// batch norm's updated running stats must agree to float64 round-off. A case must read or compare
/// every stored tensor and arg, so a gradient or a hyper-parameter cannot go unchecked.
/// </summary>
public class PyTorchOpFixtureTests
{
    /// <summary>max |RawGan - PyTorch| &lt;= Tolerance (1 + max |PyTorch|) per tensor. Summation-order
    /// round-off across every case stays below 1.1e-14 absolute (at most 5e-4 of this bound), while a
    /// formula that differs from PyTorch's by e^-20 relative, as softplus's threshold, fails.</summary>
    private const double Tolerance = 1e-12;

    public static TheoryData<string> Cases => new(Fixtures.Names("ops"));

    [Theory, MemberData(nameof(Cases))]
    public void Op_MatchesPyTorch(string name)
    {
        var fixture = Fixtures.Load("ops", name);
        using var scope = new TensorScope();
        var run = new Run(fixture);
        var y = Forward(run);

        var failures = new List<string?> { fixture.Mismatch("y", y, Tolerance) };
        F.Sum(F.Mul(y, run.Data("dy"))).Backward();
        foreach (var (input, leaf) in run.Leaves)
            failures.Add(leaf.Grad is null ? $"{fixture.Name}: no gradient reached {input}" : fixture.Mismatch("d" + input, leaf.Grad, Tolerance));
        foreach (var (state, actual) in run.State)
            failures.Add(fixture.Mismatch(state, actual, Tolerance));
        failures.Add(fixture.Unused());

        var found = string.Join(Environment.NewLine, failures.OfType<string>());
        if (found.Length > 0) Assert.Fail(found);
    }

    /// <summary>One case's inputs as they are handed to the op: the leaves whose gradients PyTorch
    /// stored (d&lt;name&gt;), and the tensors the op updates in place, with the names of their
    /// stored values after the call.</summary>
    private sealed class Run(Fixture fixture)
    {
        public Fixture Fixture { get; } = fixture;
        public List<(string Name, Tensor Leaf)> Leaves { get; } = [];
        public List<(string Name, Tensor Actual)> State { get; } = [];

        /// <summary>An input; a leaf that collects its gradient when the fixture stores one.</summary>
        public Tensor Input(string name)
        {
            var t = Fixture.Tensor(name, requiresGrad: Fixture.Has("d" + name));
            if (t.RequiresGrad) Leaves.Add((name, t));
            return t;
        }

        /// <summary>A tensor without gradient: a target, an upstream gradient, a buffer.</summary>
        public Tensor Data(string name) => Fixture.Tensor(name);

        /// <summary>A buffer the op updates in place, compared afterwards with the stored <paramref name="after"/>.</summary>
        public Tensor Buffer(string name, string after)
        {
            var t = Data(name);
            State.Add((after, t));
            return t;
        }
    }

    private static Tensor Forward(Run run)
    {
        var f = run.Fixture;
        return f.Op switch
        {
            "conv2d" => F.Conv2d(run.Input("x"), run.Input("w"), f.Bool("bias") ? run.Input("b") : null, ConvArgs(f)),
            "conv_transpose2d" => ConvTranspose2d(run),
            "linear" => Linear(run),
            "matmul" => F.Matmul(run.Input("x1"), run.Input("x2")),
            "batch_norm1d" or "batch_norm2d" => F.BatchNorm(run.Input("x"), run.Input("weight"), run.Input("bias"),
                run.Buffer("running_mean", after: "new_running_mean"), run.Buffer("running_var", after: "new_running_var"),
                f.Bool("training"), f.Double("momentum"), f.Double("eps")),
            "upsample_nearest2d" => F.UpsampleNearest(run.Input("x"), f.Int("scale_factor")),
            "max_pool2d" => MaxPool2d(run),
            "avg_pool2d" => AvgPool2d(run),
            "relu" => F.Relu(run.Input("x")),
            "leaky_relu" => F.LeakyRelu(run.Input("x"), f.Double("negative_slope")),
            "elu" => F.Elu(run.Input("x"), f.Double("alpha")),
            "tanh" => F.Tanh(run.Input("x")),
            "sigmoid" => F.Sigmoid(run.Input("x")),
            "softplus" => Softplus(run),
            "binary_cross_entropy" => MeanLoss(run, (x, t) => F.BinaryCrossEntropy(x, t)),
            "binary_cross_entropy_with_logits" => MeanLoss(run, (x, t) => F.BinaryCrossEntropyWithLogits(x, t)),
            "l1_loss" => MeanLoss(run, F.L1Loss),
            "mse_loss" => MeanLoss(run, F.MseLoss),
            "gaussian_kl" => GaussianKl(run),
            "sum" => Reduction(run, F.Sum, F.Sum),
            "mean" => Reduction(run, F.Mean, F.Mean),
            _ => throw new InvalidOperationException($"{f.Name}: no RawGan op is mapped to PyTorch's '{f.Op}'"),
        };
    }

    /// <summary>stride, padding, dilation as [h, w] and groups.</summary>
    private static Conv2dArgs ConvArgs(Fixture f)
    {
        var (sh, sw) = f.Pair("stride");
        var (ph, pw) = f.Pair("padding");
        var (dh, dw) = f.Pair("dilation");
        return new Conv2dArgs(sh, sw, ph, pw, dh, dw, f.Int("groups"));
    }

    private static Tensor ConvTranspose2d(Run run)
    {
        var f = run.Fixture;
        var (oh, ow) = f.Pair("output_padding");
        return F.ConvTranspose2d(run.Input("x"), run.Input("w"), f.Bool("bias") ? run.Input("b") : null, ConvArgs(f), oh, ow);
    }

    /// <summary>x @ w^T + b with w [out, in], composed from primitives as a Linear layer does.</summary>
    private static Tensor Linear(Run run)
    {
        return F.Linear(run.Input("x"), run.Input("w"), run.Fixture.Bool("bias") ? run.Input("b") : null);
    }

    private static Pool2dArgs PoolArgs(Fixture f)
    {
        f.Require("ceil_mode", false);
        var (kh, kw) = f.Pair("kernel_size");
        var (sh, sw) = f.Pair("stride");
        var (ph, pw) = f.Pair("padding");
        return new Pool2dArgs(kh, kw, sh, sw, ph, pw);
    }

    private static Tensor MaxPool2d(Run run)
    {
        run.Fixture.Require("dilation", (1, 1));
        return F.MaxPool2d(run.Input("x"), PoolArgs(run.Fixture));
    }

    private static Tensor AvgPool2d(Run run)
    {
        run.Fixture.Require("count_include_pad", true);
        return F.AvgPool2d(run.Input("x"), PoolArgs(run.Fixture));
    }

    /// <summary>F.Softplus stands for torch.nn.Softplus() with its defaults, beta 1 and threshold 20.</summary>
    private static Tensor Softplus(Run run)
    {
        run.Fixture.Require("beta", 1.0);
        run.Fixture.Require("threshold", 20.0);
        return F.Softplus(run.Input("x"));
    }

    private static Tensor MeanLoss(Run run, Func<Tensor, Tensor, Tensor> loss)
    {
        run.Fixture.Require("reduction", "mean");
        return loss(run.Input("x"), run.Data("target"));
    }

    private static Tensor GaussianKl(Run run)
    {
        run.Fixture.Require("reduction", "sum_over_all_elements_divided_by_batch");
        run.Fixture.Require("formula", "-0.5 * sum(1 + logvar - mu^2 - exp(logvar)) / mu.shape[0]");
        return F.GaussianKl(run.Input("mu"), run.Input("logvar"));
    }

    /// <summary>torch.sum / torch.mean: dim null reduces everything to a scalar, else the listed axes.</summary>
    private static Tensor Reduction(Run run, Func<Tensor, Tensor> all, Func<Tensor, int[], bool, Tensor> some)
    {
        var x = run.Input("x");
        var dims = run.Fixture.IntsOrNull("dim");
        bool keepDim = run.Fixture.Bool("keepdim");
        return dims is null && !keepDim ? all(x) : some(x, dims ?? [.. Enumerable.Range(0, x.Rank)], keepDim);
    }
}
