using RawGan.Nn;
using RawGan.Optim;

namespace RawGan.Recipes;

/// <summary>Options of `rawgan train dcgan`; defaults are the paper's CelebA setting.</summary>
public sealed record DcganOptions
{
    public int Size { get; init; } = 64;
    public int Nz { get; init; } = 100;
    public int Ngf { get; init; } = 64;
    public int Ndf { get; init; } = 64;
    public double LearningRate { get; init; } = 2e-4;
    public double Beta1 { get; init; } = 0.5;
    /// <summary>One-sided label smoothing (Salimans et al. 2016): real images get target 1 - s.</summary>
    public double LabelSmoothing { get; init; }

    public void Validate()
    {
        if (Size is not (32 or 64 or 128)) throw new ArgumentException($"--size {Size}: DCGAN supports 32, 64 or 128");
        if (Nz < 1 || Ngf < 1 || Ndf < 1) throw new ArgumentException($"--nz, --ngf and --ndf must be positive, got {Nz}, {Ngf} and {Ndf}");
        if (LearningRate <= 0) throw new ArgumentException($"--lr must be positive, got {LearningRate}");
        if (Beta1 is < 0 or >= 1) throw new ArgumentException($"--beta1 must be in [0, 1), got {Beta1}");
        if (LabelSmoothing is < 0 or >= 1) throw new ArgumentException($"--label-smoothing must be in [0, 1), got {LabelSmoothing}");
    }
}

/// <summary>
/// DCGAN (Radford, Metz, Chintala 2016) as pytorch/examples/dcgan builds it, with the same layer
/// indices: G and D are the Sequentials that model keeps in `self.main`, so a checkpoint's G.0.weight is
/// its main.0.weight (tools/peers/dcgan_compat.py loads G into it strictly and compares images).
/// G: z -> ConvT(4, 1, 0) to ngf*size/8 channels at 4x4, then [ConvT(4, 2, 1) + BN + ReLU] halving
///    the channels and doubling the size, ConvT to 3 channels + tanh.
/// D: Conv(4, 2, 1) + LeakyReLU(0.2), then [Conv(4, 2, 1) + BN + LeakyReLU(0.2)], Conv(4, 1, 0) to
///    one logit (the paper's sigmoid is fused into the loss: BCE with logits).
/// Losses: D maximises log D(x) + log(1 - D(G(z))); G maximises log D(G(z)) (non-saturating).
/// Updates: Adam(lr 2e-4, betas (0.5, 0.999)) for both; weights N(0, 0.02), BN weights N(1, 0.02).
/// </summary>
public sealed class DcganRecipe : IGanRecipe
{
    private readonly DcganOptions _options;
    private readonly Generator _noise;
    private readonly Sequential _g;
    private readonly Sequential _d;
    private readonly Adam _optG;
    private readonly Adam _optD;

    public DcganRecipe(DcganOptions options, Device device, Generator init, Generator noise)
    {
        options.Validate();
        _options = options;
        _noise = noise;
        _g = BuildGenerator(options.Size, options.Nz, options.Ngf, init);
        _d = BuildDiscriminator(options.Size, options.Ndf, init);
        Init.DcganInit(_g, init);
        Init.DcganInit(_d, init);
        _g.To(device);
        _d.To(device);
        _optG = new Adam(_g.Parameters(), options.LearningRate, options.Beta1, 0.999);
        _optD = new Adam(_d.Parameters(), options.LearningRate, options.Beta1, 0.999);
    }

    public string Name => "dcgan";
    public bool Capturable => true;
    public Generator Noise => _noise;
    public IReadOnlyList<(string Name, Module Module)> Modules => [("G", _g), ("D", _d)];
    public IReadOnlyList<(string Name, Optimizer Optimizer)> Optimizers => [("G", _optG), ("D", _optD)];
    public IReadOnlyList<string> MetricNames => ["loss_D", "loss_G", "D_x", "D_G_z"];

    public static Sequential BuildGenerator(int size, int nz, int ngf, Generator init)
    {
        int mult = size / 8;
        var layers = new List<Module> { new ConvTranspose2d(nz, ngf * mult, 4, 1, 0, bias: false, generator: init), new BatchNorm2d(ngf * mult), new ReLU() };
        for (; mult > 1; mult /= 2)
            layers.AddRange([new ConvTranspose2d(ngf * mult, ngf * mult / 2, 4, 2, 1, bias: false, generator: init), new BatchNorm2d(ngf * mult / 2), new ReLU()]);
        layers.AddRange([new ConvTranspose2d(ngf, 3, 4, 2, 1, bias: false, generator: init), new Tanh()]);
        return new Sequential([.. layers]);
    }

    public static Sequential BuildDiscriminator(int size, int ndf, Generator init)
    {
        var layers = new List<Module> { new Conv2d(3, ndf, 4, 2, 1, bias: false, generator: init), new LeakyReLU(0.2) };
        int mult = 1;
        for (; mult < size / 8; mult *= 2)
            layers.AddRange([new Conv2d(ndf * mult, ndf * mult * 2, 4, 2, 1, bias: false, generator: init), new BatchNorm2d(ndf * mult * 2), new LeakyReLU(0.2)]);
        layers.Add(new Conv2d(ndf * mult, 1, 4, 1, 0, bias: false, generator: init));
        return new Sequential([.. layers]);
    }

    public Tensor SampleLatent(int count, Generator generator) =>
        Tensor.Randn([count, _options.Nz, 1, 1], generator, device: _g.Parameters().First().Device);

    public IReadOnlyList<Tensor> Step(Tensor real)
    {
        int n = real.Shape[0];
        _g.Train();
        _d.Train();

        // D step: real images towards 1 (or 1 - smoothing), G's images towards 0; G is cut off.
        _optD.ZeroGrad();
        var logitsReal = _d.Forward(real).Reshape(n);
        var lossReal = F.BinaryCrossEntropyWithLogits(logitsReal, F.Label(logitsReal, 1 - _options.LabelSmoothing));
        lossReal.Backward();
        var fake = _g.Forward(SampleLatent(n, _noise));
        var logitsFake = _d.Forward(fake.Detach()).Reshape(n);
        var lossFake = F.BinaryCrossEntropyWithLogits(logitsFake, F.Label(logitsFake, 0));
        lossFake.Backward();
        _optD.Step();

        // G step: make D call the same fakes real; D's gradients are computed but not applied.
        _optG.ZeroGrad();
        var logitsG = _d.Forward(fake).Reshape(n);
        var lossG = F.BinaryCrossEntropyWithLogits(logitsG, F.Label(logitsG, 1));
        lossG.Backward();
        _optG.Step();
        _optD.ZeroGrad();

        using (Autograd.Autograd.NoGrad())
            return [lossReal + lossFake, lossG, F.Sigmoid(logitsReal).Mean(), F.Sigmoid(logitsFake).Mean()];
    }

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
        _optG.Dispose();
        _optD.Dispose();
    }
}
