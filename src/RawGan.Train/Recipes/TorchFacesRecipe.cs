using RawGan.Nn;
using RawGan.Optim;

namespace RawGan.Recipes;

/// <summary>Options of `rawgan train torchfaces`; defaults are the 2015 Torch blog code's (train_lfw.lua).</summary>
public record TorchFacesOptions
{
    public int Size { get; init; } = 64;
    public int Nz { get; init; } = 512;
    /// <summary>G's widths are ngf at 8x8, then 2ngf, 2ngf, ngf (128, 256, 256, 128).</summary>
    public int Ngf { get; init; } = 128;
    /// <summary>D's convolutions have ndf, 2ndf, 3ndf channels (32, 64, 96).</summary>
    public int Ndf { get; init; } = 32;
    /// <summary>Width of D's dense layer.</summary>
    public int Hidden { get; init; } = 1024;
    public double ConvDropout { get; init; } = 0.2;
    public double DenseDropout { get; init; } = 0.5;
    public double LearningRate { get; init; } = 1e-3;
    /// <summary>Learning rate factor per epoch (the seed anneals by 0.99 after each epoch).</summary>
    public double LrDecay { get; init; } = 0.99;
    /// <summary>RMSprop's decay of the running mean square (alpha; the seed's rmsprop defaults it to 0.9).</summary>
    public double Decay { get; init; } = 0.9;
    public BalanceRule Balance { get; init; } = BalanceRule.Skip;
    /// <summary>D's L2 coefficient at the start (the seed's coefL2); `--balance l2` moves it.</summary>
    public double CoefL2 { get; init; }

    public virtual void Validate()
    {
        if (Size is not (32 or 64)) throw new ArgumentException($"--size {Size}: this recipe supports 32 or 64");
        if (Nz < 1 || Ngf < 1 || Ndf < 1 || Hidden < 1) throw new ArgumentException($"--nz, --ngf, --ndf and --hidden must be positive, got {Nz}, {Ngf}, {Ndf} and {Hidden}");
        if (ConvDropout is < 0 or >= 1 || DenseDropout is < 0 or >= 1) throw new ArgumentException($"--conv-dropout and --dense-dropout must be in [0, 1), got {ConvDropout} and {DenseDropout}");
        if (LearningRate <= 0) throw new ArgumentException($"--lr must be positive, got {LearningRate}");
        if (LrDecay is <= 0 or > 1) throw new ArgumentException($"--lr-decay must be in (0, 1], got {LrDecay}");
        if (Decay is < 0 or >= 1) throw new ArgumentException($"--decay must be in [0, 1), got {Decay}");
        if (CoefL2 < 0) throw new ArgumentException($"--coef-l2 must not be negative, got {CoefL2}");
    }
}

/// <summary>
/// The faces GAN of "Generating Faces with Torch" (Larsen and Sønderby, Torch blog, 2015).
/// G: z ~ N(0, I) (512-d) -> Linear(nz, 128·8·8) -> reshape 128x8x8 -> ReLU, then three times [nearest
///    upsample x2 -> conv 5x5 pad 2 -> BN -> ReLU] to 256, 256, 128 channels, conv 3x3 to 3 channels
///    at 64x64 -> tanh (ours: the seed's last conv is linear; tanh keeps samples in the [-1, 1] data range).
/// D: three times [conv 5x5 pad 2 -> ReLU -> max-pool 2x2 -> dropout 0.2] with 32, 64, 96 channels,
///    no batch norm; Linear(8·8·96, 1024) -> ReLU -> dropout 0.5 -> Linear(1024, 1) -> sigmoid (fused
///    into BCE with logits). The conv blocks drop whole channels (the seed's SpatialDropout).
/// Errors (the seed's criterion is BCE, each a batch mean):
///    err_R = BCE(D(x), 1), D's error on the n reals; err_F = BCE(D(G(z)), 0), D's error on n fakes;
///    both on the step's batch before D's update. f = BCE(D(G(z')), 1) on n fresh z': the generator
///    error, how badly G fools D. The monitor's "real", "fake" and "gen" curves are err_R, err_F, f.
/// Updates: D descends (err_R + err_F) / 2 (the seed's criterion on its half-real, half-fake batch of
///    2n) plus coefL2/2 ||θ_D||²; then G descends f. RMSprop (Torch semantics, lr 1e-3, decay 0.9)
///    for both; weights and biases U(±1/sqrt(fan_in)), Torch's default. The balancing rule
///    (<see cref="Balancing"/>) decides from err_R and err_F whether each network updates, or moves
///    coefL2 after each step by f. The learning rate is lr · 0.99^epoch, as the seed anneals it.
/// </summary>
public sealed class TorchFacesRecipe : IGanRecipe
{
    private readonly TorchFacesOptions _options;
    private readonly Generator _noise;
    private readonly Sequential _g;
    private readonly Sequential _d;
    private readonly RMSprop _optG;
    private readonly RMSprop _optD;
    private readonly Balancer _balance;

    public TorchFacesRecipe(TorchFacesOptions options, Device device, Generator init, Generator noise)
    {
        options.Validate();
        _options = options;
        _noise = noise;
        _g = BuildGenerator(options, init);
        _d = BuildDiscriminator(options, init, noise);
        _g.To(device);
        _d.To(device);
        _optG = new RMSprop(_g.Parameters(), options.LearningRate, options.Decay);
        _optD = new RMSprop(_d.Parameters(), options.LearningRate, options.Decay, weightDecay: options.CoefL2);
        _balance = new Balancer(options.Balance, _optD);
        _balance.Window.To(device);
    }

    public string Name => "torchfaces";
    public Generator Noise => _noise;
    public IReadOnlyList<(string Name, Module Module)> Modules => [("G", _g), ("D", _d), ("balance", _balance.Window)];
    public IReadOnlyList<(string Name, Optimizer Optimizer)> Optimizers => [("G", _optG), ("D", _optD)];
    public IReadOnlyList<string> MetricNames => ["gen", "fake", "real", .. Balancer.MetricNames];

    /// <summary>D's loss is the sum of its errors on real and fake images; G's is gen.</summary>
    public bool DWinsOutright(IReadOnlyList<double> metrics)
    {
        IGanRecipe self = this;
        return self.Metric(metrics, "real") + self.Metric(metrics, "fake") < 0.05 && self.Metric(metrics, "gen") > 5;
    }
    public IReadOnlyList<(string Title, string[] Series)> MonitorPanels => [ErrorPanel, .. Balancer.Panels];

    /// <summary>The seed's three curves, the BCE errors f, err_F and err_R.</summary>
    public static (string Title, string[] Series) ErrorPanel =>
        ("gen: G's error f   fake: D's error on fakes err_F   real: D's error on reals err_R", ["gen", "fake", "real"]);

    public static Sequential BuildGenerator(TorchFacesOptions o, Generator init)
    {
        int s = o.Size / 8;
        return new Sequential(
            new Linear(o.Nz, o.Ngf * s * s, generator: init), new Reshape(o.Ngf, s, s), new ReLU(),
            new Upsample(2), new Conv2d(o.Ngf, 2 * o.Ngf, 5, padding: 2, generator: init), new BatchNorm2d(2 * o.Ngf), new ReLU(),
            new Upsample(2), new Conv2d(2 * o.Ngf, 2 * o.Ngf, 5, padding: 2, generator: init), new BatchNorm2d(2 * o.Ngf), new ReLU(),
            new Upsample(2), new Conv2d(2 * o.Ngf, o.Ngf, 5, padding: 2, generator: init), new BatchNorm2d(o.Ngf), new ReLU(),
            new Conv2d(o.Ngf, 3, 3, padding: 1, generator: init), new Tanh());
    }

    /// <summary>D's dropout masks come from <paramref name="noise"/>, the stream checkpoints save.</summary>
    public static Sequential BuildDiscriminator(TorchFacesOptions o, Generator init, Generator noise)
    {
        int s = o.Size / 8;
        return new Sequential(
            new Conv2d(3, o.Ndf, 5, padding: 2, generator: init), new ReLU(), new MaxPool2d(2), new Dropout2d(o.ConvDropout, noise),
            new Conv2d(o.Ndf, 2 * o.Ndf, 5, padding: 2, generator: init), new ReLU(), new MaxPool2d(2), new Dropout2d(o.ConvDropout, noise),
            new Conv2d(2 * o.Ndf, 3 * o.Ndf, 5, padding: 2, generator: init), new ReLU(), new MaxPool2d(2), new Dropout2d(o.ConvDropout, noise),
            new Flatten(), new Linear(3 * o.Ndf * s * s, o.Hidden, generator: init), new ReLU(), new Dropout(o.DenseDropout, noise),
            new Linear(o.Hidden, 1, generator: init));
    }

    public Tensor SampleLatent(int count, Generator generator) =>
        Tensor.Randn([count, _options.Nz], generator, device: _g.Parameters().First().Device);

    public void StartEpoch(int epoch) => SetEpochLearningRate(_options, epoch, _optG, _optD);

    /// <summary>lr · lrDecay^epoch for each optimizer (shared with vaegan).</summary>
    public static void SetEpochLearningRate(TorchFacesOptions options, int epoch, params Optimizer[] optimizers)
    {
        foreach (var optimizer in optimizers) optimizer.LearningRate = options.LearningRate * Math.Pow(options.LrDecay, epoch);
    }

    public IReadOnlyList<Tensor> Step(Tensor real)
    {
        int n = real.Shape[0];
        _g.Train();
        _d.Train();
        // D: err_R and err_F; the rule decides from them which networks update this step.
        Tensor fake;
        using (Autograd.Autograd.NoGrad())
            fake = _g.Forward(SampleLatent(n, _noise));
        var (errR, errF, updateD, updateG) = DiscriminatorStep(_d, _optD, _balance, real, fake);

        // G: f on fresh latents, descended unless the rule benched G; D's gradients are dropped.
        _optG.ZeroGrad();
        var f = Error(_d.Forward(_g.Forward(SampleLatent(n, _noise))), 1);
        if (updateG)
        {
            f.Backward();
            _optG.Step();
        }
        _optD.ZeroGrad();

        // After the step: the L2 rule moves D's coefficient by f; the skips are counted.
        return [f, errF, errR, .. _balance.Record(updateD, updateG, f)];
    }

    /// <summary>D's half of a step: err_R and err_F, the rule's decisions, and D's update if it has one.</summary>
    public static (Tensor ErrR, Tensor ErrF, bool UpdateD, bool UpdateG) DiscriminatorStep(
        Sequential d, RMSprop optD, Balancer balance, Tensor real, Tensor fake)
    {
        optD.ZeroGrad();
        var errR = Error(d.Forward(real), 1);
        var errF = Error(d.Forward(fake), 0);
        var (updateD, updateG) = balance.Decide(errR, errF);
        if (updateD)
        {
            ((errR + errF) * 0.5).Backward();
            optD.Step();
        }
        return (errR, errF, updateD, updateG);
    }

    /// <summary>The seed's criterion: mean BCE of sigmoid(logits) against one target for the batch.</summary>
    public static Tensor Error(Tensor logits, double target) => F.BinaryCrossEntropyWithLogits(logits, F.Label(logits, target));

    public Tensor Generate(Tensor z)
    {
        _g.Eval();
        using (Autograd.Autograd.NoGrad())
            return _g.Forward(z);
    }

    public void Dispose()
    {
        _g.Dispose();
        _d.Dispose();
        _balance.Window.Dispose();
        _optG.Dispose();
        _optD.Dispose();
    }
}
