using RawGan.Nn;
using RawGan.Optim;

namespace RawGan.Recipes;

/// <summary>Options of `rawgan train tfdcgan`; defaults are the tutorial's.</summary>
public sealed record TfDcganOptions
{
    /// <summary>The tutorial's faces are 28x28.</summary>
    public int Size => 28;
    public int Nz { get; init; } = 100;
    /// <summary>G's transposed convolutions go 4ngf -> 2ngf -> ngf -> 3 channels (256, 128, 64).</summary>
    public int Ngf { get; init; } = 64;
    /// <summary>D's convolutions have ndf, 2ndf, 4ndf channels (64, 128, 256).</summary>
    public int Ndf { get; init; } = 64;
    public double LearningRate { get; init; } = 2e-4;
    public double Beta1 { get; init; } = 0.5;
    /// <summary>D's target for real images (one-sided label smoothing).</summary>
    public double RealLabel { get; init; } = 0.9;

    public void Validate()
    {
        if (Nz < 1 || Ngf < 1 || Ndf < 1) throw new ArgumentException($"--nz, --ngf and --ndf must be positive, got {Nz}, {Ngf} and {Ndf}");
        if (LearningRate <= 0) throw new ArgumentException($"--lr must be positive, got {LearningRate}");
        if (Beta1 is < 0 or >= 1) throw new ArgumentException($"--beta1 must be in [0, 1), got {Beta1}");
        if (RealLabel is <= 0 or > 1) throw new ArgumentException($"--real-label must be in (0, 1], got {RealLabel}");
    }
}

/// <summary>
/// The DCGAN of the O'Reilly TensorFlow face tutorial: 28x28 faces in [-0.5, 0.5].
/// G: z ~ U(-1, 1) -> dense to 7x7x4ngf -> BN -> LeakyReLU(0.2), transposed convs 5x5 stride 2 to
///    14x14x2ngf and 28x28xngf, each -> BN -> LeakyReLU(0.2), transposed conv 5x5 stride 1 to 3
///    channels -> tanh, halved to [-0.5, 0.5].
/// D: three times [conv 5x5 stride 2 "same" -> BN -> LeakyReLU(0.2)] (28 -> 14 -> 7 -> 4, ndf, 2ndf,
///    4ndf channels), flatten, dense to one logit -> sigmoid (fused into BCE with logits).
/// Losses: D: BCE(D(x), 0.9) + BCE(D(G(z)), 0) (reals smoothed to 0.9); G: BCE(D(G(z)), 1).
/// Updates: Adam(lr 2e-4, beta1 0.5) for both, D then G on the same z; weights Glorot-uniform,
///    biases 0 (TensorFlow's layer defaults).
/// Its data range is [-0.5, 0.5]: the trainer delivers real images in it, and Generate returns G's
/// halved tanh in it.
/// </summary>
public sealed class TfDcganRecipe : IGanRecipe
{
    private const double Slope = 0.2;
    private readonly TfDcganOptions _options;
    private readonly Generator _noise;
    private readonly Sequential _g;
    private readonly Sequential _d;
    private readonly Adam _optG;
    private readonly Adam _optD;

    public TfDcganRecipe(TfDcganOptions options, Device device, Generator init, Generator noise)
    {
        options.Validate();
        _options = options;
        _noise = noise;
        _g = BuildGenerator(options, init);
        _d = BuildDiscriminator(options, init);
        GlorotInit(_g, init);
        GlorotInit(_d, init);
        _g.To(device);
        _d.To(device);
        _optG = new Adam(_g.Parameters(), options.LearningRate, options.Beta1, 0.999);
        _optD = new Adam(_d.Parameters(), options.LearningRate, options.Beta1, 0.999);
    }

    public string Name => "tfdcgan";
    public bool Capturable => true;
    public Generator Noise => _noise;
    public IReadOnlyList<(string Name, Module Module)> Modules => [("G", _g), ("D", _d)];
    public IReadOnlyList<(string Name, Optimizer Optimizer)> Optimizers => [("G", _optG), ("D", _optD)];
    public IReadOnlyList<string> MetricNames => ["loss_D", "loss_G", "D_x", "D_G_z"];
    public Images.PixelRange DataRange => Images.PixelRange.MinusHalfToHalf;

    /// <summary>G without the final halving: its tanh output is in [-1, 1].</summary>
    public static Sequential BuildGenerator(TfDcganOptions o, Generator init) => new(
        new Linear(o.Nz, 4 * o.Ngf * 7 * 7, generator: init), new Reshape(4 * o.Ngf, 7, 7), new BatchNorm2d(4 * o.Ngf), new LeakyReLU(Slope),
        new ConvTranspose2d(4 * o.Ngf, 2 * o.Ngf, 5, 2, 2, outputPadding: 1, generator: init), new BatchNorm2d(2 * o.Ngf), new LeakyReLU(Slope),
        new ConvTranspose2d(2 * o.Ngf, o.Ngf, 5, 2, 2, outputPadding: 1, generator: init), new BatchNorm2d(o.Ngf), new LeakyReLU(Slope),
        new ConvTranspose2d(o.Ngf, 3, 5, 1, 2, generator: init), new Tanh());

    public static Sequential BuildDiscriminator(TfDcganOptions o, Generator init) => new(
        new Conv2d(3, o.Ndf, 5, 2, 2, generator: init), new BatchNorm2d(o.Ndf), new LeakyReLU(Slope),
        new Conv2d(o.Ndf, 2 * o.Ndf, 5, 2, 2, generator: init), new BatchNorm2d(2 * o.Ndf), new LeakyReLU(Slope),
        new Conv2d(2 * o.Ndf, 4 * o.Ndf, 5, 2, 2, generator: init), new BatchNorm2d(4 * o.Ndf), new LeakyReLU(Slope),
        new Flatten(), new Linear(4 * o.Ndf * 4 * 4, 1, generator: init));

    /// <summary>tf.layers' defaults: Glorot-uniform kernels, zero biases.</summary>
    private static void GlorotInit(Module module, Generator init) => module.Apply(m =>
    {
        var (weight, bias) = m switch
        {
            Linear l => (l.Weight, l.Bias),
            Conv2d c => (c.Weight, c.Bias),
            ConvTranspose2d t => (t.Weight, t.Bias),
            _ => (null, null),
        };
        if (weight is null) return;
        Init.XavierUniform(weight, generator: init);
        if (bias is not null) Init.Zeros(bias);
    });

    public Tensor SampleLatent(int count, Generator generator) =>
        Tensor.Rand([count, _options.Nz], generator, device: _g.Parameters().First().Device, low: -1, high: 1);

    public IReadOnlyList<Tensor> Step(Tensor real)
    {
        int n = real.Shape[0];
        _g.Train();
        _d.Train();
        var fake = _g.Forward(SampleLatent(n, _noise)) * 0.5;

        _optD.ZeroGrad();
        var logitsReal = _d.Forward(real).Reshape(n);
        var logitsFake = _d.Forward(fake.Detach()).Reshape(n);
        var lossD = F.BinaryCrossEntropyWithLogits(logitsReal, F.Label(logitsReal, _options.RealLabel))
                    + F.BinaryCrossEntropyWithLogits(logitsFake, F.Label(logitsFake, 0));
        lossD.Backward();
        _optD.Step();

        _optG.ZeroGrad();
        var logitsG = _d.Forward(fake).Reshape(n);
        var lossG = F.BinaryCrossEntropyWithLogits(logitsG, F.Label(logitsG, 1));
        lossG.Backward();
        _optG.Step();
        _optD.ZeroGrad();

        using (Autograd.Autograd.NoGrad())
            return [lossD, lossG, F.Sigmoid(logitsReal).Mean(), F.Sigmoid(logitsFake).Mean()];
    }

    public Tensor Generate(Tensor z)
    {
        _g.Eval();
        using (Autograd.Autograd.NoGrad())
            return _g.Forward(z) * 0.5;
    }

    public void Dispose()
    {
        _g.Dispose();
        _d.Dispose();
        _optG.Dispose();
        _optD.Dispose();
    }
}
