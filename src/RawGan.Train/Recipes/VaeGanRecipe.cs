using RawGan.Images;
using RawGan.Nn;
using RawGan.Optim;

namespace RawGan.Recipes;

/// <summary>Options of `rawgan train vaegan`: the torchfaces GAN's, plus the encoder and the loss weights.</summary>
public sealed record VaeGanOptions : TorchFacesOptions
{
    /// <summary>The encoder's convolutions have nef, 2nef, 4nef channels.</summary>
    public int Nef { get; init; } = 64;
    public double KlWeight { get; init; } = 1e-3;
    public double ReconWeight { get; init; } = 1;
    public double GanWeight { get; init; } = 0.1;

    public override void Validate()
    {
        base.Validate();
        if (Nef < 1) throw new ArgumentException($"--nef must be positive, got {Nef}");
        if (KlWeight < 0 || ReconWeight < 0 || GanWeight < 0) throw new ArgumentException($"loss weights must not be negative, got --kl-weight {KlWeight}, --recon-weight {ReconWeight}, --gan-weight {GanWeight}");
    }
}

/// <summary>
/// The VAE/GAN hybrid of the Torch blog's "Going further" (after Larsen et al. 2015): a VAE whose
/// decoder is the torchfaces generator, trained against the torchfaces discriminator.
/// E: three times [conv 5x5 stride 2 pad 2 -> BN -> ReLU] (nef, 2nef, 4nef channels) -> flatten ->
///    Linear to 2 nz: μ and log σ². z = μ + σ ε (reparameterised); x̃ = G(z).
/// G, D and D's update: as torchfaces (fakes are G(z_p), z_p ~ N(0, I)), balanced by the same rule.
/// E and G descend  KlWeight · KL(N(μ, σ²) || N(0, I))  +  ReconWeight · mean (x̃ - x)²
///    +  GanWeight · f,  with f = BCE(D(G(z_p')), 1) on fresh z_p', left out on steps the rule skips G.
///    KL reaches only E, the GAN term only G; one RMSprop ("VAE") updates both.
/// </summary>
public sealed class VaeGanRecipe : IGanRecipe
{
    private readonly VaeGanOptions _options;
    private readonly Generator _noise;
    private readonly Sequential _e;
    private readonly Sequential _g;
    private readonly Sequential _d;
    private readonly RMSprop _optVae;
    private readonly RMSprop _optD;
    private readonly Balancer _balance;

    public VaeGanRecipe(VaeGanOptions options, Device device, Generator init, Generator noise)
    {
        options.Validate();
        _options = options;
        _noise = noise;
        _e = BuildEncoder(options, init);
        _g = TorchFacesRecipe.BuildGenerator(options, init);
        _d = TorchFacesRecipe.BuildDiscriminator(options, init, noise);
        _e.To(device);
        _g.To(device);
        _d.To(device);
        _optVae = new RMSprop([.. _e.Parameters(), .. _g.Parameters()], options.LearningRate, options.Decay);
        _optD = new RMSprop(_d.Parameters(), options.LearningRate, options.Decay, weightDecay: options.CoefL2);
        _balance = new Balancer(options.Balance, _optD);
        _balance.Window.To(device);
    }

    public string Name => "vaegan";
    public Generator Noise => _noise;
    public IReadOnlyList<(string Name, Module Module)> Modules => [("E", _e), ("G", _g), ("D", _d), ("balance", _balance.Window)];
    public IReadOnlyList<(string Name, Optimizer Optimizer)> Optimizers => [("VAE", _optVae), ("D", _optD)];
    public IReadOnlyList<string> MetricNames => ["gen", "fake", "real", "kl", "recon", .. Balancer.MetricNames];

    /// <summary>D's loss is the sum of its errors on real and fake images; G's is gen.</summary>
    public bool DWinsOutright(IReadOnlyList<double> metrics)
    {
        IGanRecipe self = this;
        return self.Metric(metrics, "real") + self.Metric(metrics, "fake") < 0.05 && self.Metric(metrics, "gen") > 5;
    }
    public IReadOnlyList<(string Title, string[] Series)> MonitorPanels =>
        [TorchFacesRecipe.ErrorPanel, ("VAE: KL to N(0, I), reconstruction mean squared error", ["kl", "recon"]), .. Balancer.Panels];

    public static Sequential BuildEncoder(VaeGanOptions o, Generator init)
    {
        int s = o.Size / 8;
        return new Sequential(
            new Conv2d(3, o.Nef, 5, 2, 2, generator: init), new BatchNorm2d(o.Nef), new ReLU(),
            new Conv2d(o.Nef, 2 * o.Nef, 5, 2, 2, generator: init), new BatchNorm2d(2 * o.Nef), new ReLU(),
            new Conv2d(2 * o.Nef, 4 * o.Nef, 5, 2, 2, generator: init), new BatchNorm2d(4 * o.Nef), new ReLU(),
            new Flatten(), new Linear(4 * o.Nef * s * s, 2 * o.Nz, generator: init));
    }

    public Tensor SampleLatent(int count, Generator generator) =>
        Tensor.Randn([count, _options.Nz], generator, device: _g.Parameters().First().Device);

    /// <summary>μ and log σ² of the posterior of each image.</summary>
    private (Tensor Mu, Tensor LogVar) Encode(Tensor x)
    {
        var h = _e.Forward(x);
        return (h.Slice(1, 0, _options.Nz), h.Slice(1, _options.Nz, 2 * _options.Nz));
    }

    public void StartEpoch(int epoch) => TorchFacesRecipe.SetEpochLearningRate(_options, epoch, _optVae, _optD);

    public IReadOnlyList<Tensor> Step(Tensor real)
    {
        int n = real.Shape[0];
        _e.Train();
        _g.Train();
        _d.Train();
        // D: as torchfaces, on fakes decoded from the prior; the rule decides who updates.
        Tensor fake;
        using (Autograd.Autograd.NoGrad())
            fake = _g.Forward(SampleLatent(n, _noise));
        var (errR, errF, updateD, updateG) = TorchFacesRecipe.DiscriminatorStep(_d, _optD, _balance, real, fake);

        // E and G: reconstructions and prior samples in one decoder pass (one set of batch-norm
        // statistics); the GAN term joins the loss unless the rule benched G.
        _optVae.ZeroGrad();
        var (mu, logVar) = Encode(real);
        var z = F.Reparameterize(mu, logVar, _noise);
        var decoded = _g.Forward(F.Concat([z, SampleLatent(n, _noise)], 0));
        var kl = F.GaussianKl(mu, logVar);
        var recon = F.MseLoss(decoded.Slice(0, 0, n), real);
        var f = TorchFacesRecipe.Error(_d.Forward(decoded.Slice(0, n, 2 * n)), 1);
        var loss = kl * _options.KlWeight + recon * _options.ReconWeight;
        (updateG ? loss + f * _options.GanWeight : loss).Backward();
        _optVae.Step();
        _optD.ZeroGrad();
        return [f, errF, errR, kl, recon, .. _balance.Record(updateD, updateG, f)];
    }

    public Tensor Generate(Tensor z)
    {
        _g.Eval();
        using (Autograd.Autograd.NoGrad())
            return _g.Forward(z);
    }

    /// <summary>recon/step-NNNNNN.png: rows of 8 inputs, each followed by the row of their
    /// reconstructions G(μ) (eval mode).</summary>
    public void SaveExtras(Training.RunFolder folder, long step, Tensor fixedReal)
    {
        int n = fixedReal.Shape[0] / 8 * 8, size = fixedReal.Shape[2], row = 8 * 3 * size * size;
        if (n == 0) return;
        _e.Eval();
        _g.Eval();
        float[] inputs = fixedReal.Slice(0, 0, n).ToFloatArray(), recons;
        using (Autograd.Autograd.NoGrad())
            recons = _g.Forward(Encode(fixedReal.Slice(0, 0, n)).Mu).ToFloatArray();
        var pairs = new float[2 * n * 3 * size * size];
        for (int r = 0; r < n / 8; r++)
        {
            inputs.AsSpan(r * row, row).CopyTo(pairs.AsSpan(2 * r * row));
            recons.AsSpan(r * row, row).CopyTo(pairs.AsSpan((2 * r + 1) * row));
        }
        var dir = Directory.CreateDirectory(Path.Combine(folder.Root, "recon")).FullName;
        ImageGrid.Save(Path.Combine(dir, $"step-{step:D6}.png"), pairs, 2 * n, 3, size, size, PixelRange.MinusOneToOne, nrow: 8);
    }

    public void Dispose()
    {
        _e.Dispose();
        _g.Dispose();
        _d.Dispose();
        _balance.Window.Dispose();
        _optVae.Dispose();
        _optD.Dispose();
    }
}
