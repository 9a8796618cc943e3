using RawGan.Images;
using RawGan.Nn;
using RawGan.Optim;

namespace RawGan.Recipes;

/// <summary>Options of `rawgan train began`; defaults are the paper's (Nz = Nh = 64, gamma 0.5, Adam 1e-4).</summary>
public sealed record BeganOptions
{
    public int Size { get; init; } = 64;
    /// <summary>n: the encoder's blocks have n, 2n, 3n, ... filters, the decoder's n.</summary>
    public int Filters { get; init; } = 64;
    public int Nz { get; init; } = 64;
    /// <summary>Nh: the size of the autoencoder's embedding h.</summary>
    public int Hidden { get; init; } = 64;
    /// <summary>gamma = E[L(G(z))] / E[L(x)], the diversity ratio the k_t controller holds.</summary>
    public double Gamma { get; init; } = 0.5;
    public double LambdaK { get; init; } = 0.001;
    public double LearningRate { get; init; } = 1e-4;
    public double Beta1 { get; init; } = 0.5;
    /// <summary>Steps in one window of the plateau schedule: the learning rates halve after a window
    /// whose mean M_global is not below the best earlier window's.</summary>
    public int LrPatience { get; init; } = 2000;
    public double LrMin { get; init; } = 2e-5;

    public void Validate()
    {
        if (Size is not (32 or 64 or 128)) throw new ArgumentException($"--size {Size}: BEGAN supports 32, 64 or 128");
        if (Filters < 1 || Nz < 1 || Hidden < 1) throw new ArgumentException($"--filters, --nz and --hidden must be positive, got {Filters}, {Nz} and {Hidden}");
        if (Gamma is <= 0 or > 1) throw new ArgumentException($"--gamma must be in (0, 1], got {Gamma}");
        if (LambdaK <= 0) throw new ArgumentException($"--lambda-k must be positive, got {LambdaK}");
        if (LearningRate <= 0 || LrMin <= 0 || LrMin > LearningRate) throw new ArgumentException($"--lr and --lr-min must be positive, --lr-min at most --lr, got {LearningRate} and {LrMin}");
        if (Beta1 is < 0 or >= 1) throw new ArgumentException($"--beta1 must be in [0, 1), got {Beta1}");
        if (LrPatience < 1) throw new ArgumentException($"--lr-patience must be at least 1 step, got {LrPatience}");
    }
}

/// <summary>
/// BEGAN (Berthelot, Schumm, Metz 2017). D is an autoencoder, scored by its pixel-wise L1 loss
/// L(v) = mean |v - D(v)|; G has the decoder's architecture. No batch norm, no dropout; z ~ U[-1, 1].
/// Decoder: FC h -> n x 8 x 8, then per resolution 8, 16, ..., size: [conv 3x3 + ELU] x 2, nearest
///   upsampling between resolutions, conv 3x3 to 3 channels.
/// Encoder: conv 3x3 + ELU to n, then per resolution: [conv 3x3 + ELU] x 2 with (i+1)n filters and a
///   stride-2 conv 3x3 + ELU to (i+2)n down to 8 x 8, FC to h.
/// Losses: L_D = L(x) - k_t L(G(z_D)), L_G = L(G(z_G));
///   k_{t+1} = clip(k_t + lambda_k (gamma L(x) - L(G(z_G))), 0, 1), k_0 = 0;
///   convergence M_global = L(x) + |gamma L(x) - L(G(z_G))|.
/// Updates: Adam(lr 1e-4, betas (0.5, 0.999)) for both, halved when M_global plateaus (not below lr_min).
/// k_t and the schedule's state are buffers of D, so checkpoints carry them. The schedule runs in
/// <see cref="AfterStep"/>, on the host, so that <see cref="Step"/> never waits for the device; the
/// trainer passes it a step's metrics while the next step runs, so a halving applies from the second
/// step after the window's last.
/// </summary>
public sealed class BeganRecipe : IGanRecipe
{
    private readonly BeganOptions _options;
    private readonly Generator _noise;
    private readonly Sequential _g;
    private readonly BeganDiscriminator _d;
    private readonly Adam _optG;
    private readonly Adam _optD;

    public BeganRecipe(BeganOptions options, Device device, Generator init, Generator noise)
    {
        options.Validate();
        _options = options;
        _noise = noise;
        _g = BuildDecoder(options.Size, options.Filters, options.Nz, init);
        _d = new BeganDiscriminator(BuildEncoder(options.Size, options.Filters, options.Hidden, init),
                                    BuildDecoder(options.Size, options.Filters, options.Hidden, init));
        _g.To(device);
        _d.To(device);
        _optG = new Adam(_g.Parameters(), options.LearningRate, options.Beta1, 0.999);
        _optD = new Adam(_d.Parameters(), options.LearningRate, options.Beta1, 0.999);
    }

    public string Name => "began";
    public bool Capturable => true;
    public Generator Noise => _noise;
    public IReadOnlyList<(string Name, Module Module)> Modules => [("G", _g), ("D", _d)];
    public IReadOnlyList<(string Name, Optimizer Optimizer)> Optimizers => [("G", _optG), ("D", _optD)];
    /// <summary>L_G_z is L(G(z_G)), the generator's loss L_G.</summary>
    public IReadOnlyList<string> MetricNames => ["M_global", "k_t", "L_x", "L_G_z", "loss_D"];

    public IReadOnlyList<(string Title, string[] Series)> MonitorPanels =>
        [("convergence M_global and autoencoder losses", ["M_global", "L_x", "L_G_z"]), ("k_t", ["k_t"]), ("loss_D", ["loss_D"])];

    /// <summary>Resolutions 8, 16, ..., size: log2(size / 8) + 1 of them.</summary>
    private static int Blocks(int size) => System.Numerics.BitOperations.Log2((uint)size / 8) + 1;

    public static Sequential BuildDecoder(int size, int n, int inputs, Generator init)
    {
        var layers = new List<Module> { new Linear(inputs, n * 8 * 8, generator: init), new Reshape(n, 8, 8) };
        for (int i = 0; i < Blocks(size); i++)
        {
            if (i > 0) layers.Add(new Upsample(2));
            layers.AddRange([new Conv2d(n, n, 3, 1, 1, generator: init), new ELU(), new Conv2d(n, n, 3, 1, 1, generator: init), new ELU()]);
        }
        layers.Add(new Conv2d(n, 3, 3, 1, 1, generator: init));
        return new Sequential([.. layers]);
    }

    public static Sequential BuildEncoder(int size, int n, int hidden, Generator init)
    {
        var layers = new List<Module> { new Conv2d(3, n, 3, 1, 1, generator: init), new ELU() };
        int blocks = Blocks(size);
        for (int i = 0; i < blocks; i++)
        {
            int width = n * (i + 1);
            layers.AddRange([new Conv2d(width, width, 3, 1, 1, generator: init), new ELU(), new Conv2d(width, width, 3, 1, 1, generator: init), new ELU()]);
            if (i < blocks - 1) layers.AddRange([new Conv2d(width, width + n, 3, 2, 1, generator: init), new ELU()]);
        }
        layers.AddRange([new Flatten(), new Linear(blocks * n * 8 * 8, hidden, generator: init)]);
        return new Sequential([.. layers]);
    }

    /// <summary>z ~ U[-1, 1]^Nz.</summary>
    public Tensor SampleLatent(int count, Generator generator) =>
        Tensor.Rand([count, _options.Nz], generator, device: _g.Parameters().First().Device, low: -1, high: 1);

    /// <summary>L(v) = mean |v - D(v)|, differentiated through both D(v) and v.</summary>
    public static Tensor AutoencoderLoss(Module d, Tensor v)
    {
        var residual = d.Forward(v) - v;
        return F.L1Loss(residual, F.Label(residual, 0));
    }

    /// <summary>The k_t update on the host: the reference the tensor update in <see cref="Step"/> is tested against.</summary>
    public static double UpdateK(double k, double lossReal, double lossFake, double gamma, double lambdaK) =>
        Math.Clamp(k + lambdaK * (gamma * lossReal - lossFake), 0, 1);

    /// <summary>M_global on the host: the reference the tensor form in <see cref="Step"/> is tested against.</summary>
    public static double MGlobal(double lossReal, double lossFake, double gamma) =>
        lossReal + Math.Abs(gamma * lossReal - lossFake);

    /// <summary>Queues device work only (k_t and M_global are tensors; the plateau schedule waits for
    /// <see cref="AfterStep"/>), so a whole step can be captured in a CUDA graph.</summary>
    public IReadOnlyList<Tensor> Step(Tensor real)
    {
        int n = real.Shape[0];
        _g.Train();
        _d.Train();
        // A buffer, so no gradient flows into it; cloned because it is updated in place below.
        Tensor k;
        using (Autograd.Autograd.NoGrad())
            k = _d.K.Clone();

        // D step: L_D = L(x) - k_t L(G(z_D)); G is held fixed.
        _optD.ZeroGrad();
        Tensor fakeD;
        using (Autograd.Autograd.NoGrad())
            fakeD = _g.Forward(SampleLatent(n, _noise));
        var lossReal = AutoencoderLoss(_d, real);
        var lossD = lossReal - AutoencoderLoss(_d, fakeD) * k;
        lossD.Backward();
        _optD.Step();

        // G step: L_G = L(G(z_G)); D's gradients are computed but not applied.
        _optG.ZeroGrad();
        var lossG = AutoencoderLoss(_d, _g.Forward(SampleLatent(n, _noise)));
        lossG.Backward();
        _optG.Step();
        _optD.ZeroGrad();

        // Proportional control of the equilibrium E[L(G(z))] = gamma E[L(x)], and the convergence measure,
        // with relu standing in for clamp and abs: clamp(v, 0, 1) = relu(v) - relu(v - 1), exact for any v below 2.
        using (Autograd.Autograd.NoGrad())
        {
            var balance = lossReal.Detach() * _options.Gamma - lossG.Detach();
            var mGlobal = lossReal.Detach() + F.Relu(balance) + F.Relu(-balance);
            var next = k + balance * _options.LambdaK;
            _d.K.CopyFrom(F.Relu(next) - F.Relu(next - 1));
            return [mGlobal, k, lossReal, lossG, lossD];
        }
    }

    /// <summary>The learning-rate plateau schedule on a step's M_global (the first metric): halve both
    /// rates (not below lr_min) after a window that does not improve.</summary>
    public void AfterStep(IReadOnlyList<double> metrics)
    {
        if (!_d.Plateau.Observe(metrics[0], _options.LrPatience)) return;
        double lr = Math.Max(_optG.LearningRate / 2, _options.LrMin);
        (_optG.LearningRate, _optD.LearningRate) = (lr, lr);
    }

    public Tensor Generate(Tensor z)
    {
        _g.Eval();
        using (Autograd.Autograd.NoGrad())
            return _g.Forward(z);
    }

    /// <summary>recon/step-N.png: pairs (image, D(image)), real images in the top half, G's in the bottom.</summary>
    public void SaveExtras(Training.RunFolder folder, long step, Tensor fixedReal)
    {
        int half = Math.Min(fixedReal.Shape[0], 16);
        var real = fixedReal.Slice(0, 0, half);
        var fake = Generate(SampleLatent(half, new Generator(0)));
        _d.Eval();
        Tensor images;
        using (Autograd.Autograd.NoGrad())
        {
            var both = F.Concat([real, fake], 0);
            var pairs = F.Concat([both.Unsqueeze(1), _d.Forward(both).Unsqueeze(1)], 1);
            images = pairs.Reshape(4 * half, 3, fixedReal.Shape[2], fixedReal.Shape[3]);
        }
        var dir = Directory.CreateDirectory(Path.Combine(folder.Root, "recon")).FullName;
        ImageGrid.Save(Path.Combine(dir, $"step-{step:D6}.png"), images.ToFloatArray(), 4 * half, 3, images.Shape[2], images.Shape[3],
            PixelRange.MinusOneToOne, nrow: 8);
    }

    public void Dispose()
    {
        _g.Dispose();
        _d.Dispose();
        _optG.Dispose();
        _optD.Dispose();
    }
}

/// <summary>BEGAN's D: encoder then decoder, plus the training state that must survive a resume:
/// buffer <c>k_t</c> [1], float32 on D's device, where the step updates it with tensor ops; and buffer
/// <c>lr_plateau</c> [3] (the current window's M_global sum and step count, the best window mean so
/// far), float64 on the host, where the schedule runs, so a checkpoint round trip is exact.</summary>
public sealed class BeganDiscriminator : Module
{
    private readonly Sequential _encoder;
    private readonly Sequential _decoder;
    private readonly Tensor _plateau;

    public BeganDiscriminator(Sequential encoder, Sequential decoder)
    {
        _encoder = RegisterModule("encoder", encoder);
        _decoder = RegisterModule("decoder", decoder);
        K = RegisterBuffer("k_t", Tensor.Zeros([1]));
        _plateau = RegisterBuffer("lr_plateau", Tensor.FromArray([0.0, 0.0, double.PositiveInfinity], [3]));
    }

    public override Tensor Forward(Tensor x) => _decoder.Forward(_encoder.Forward(x));

    /// <summary>k_t, the buffer itself.</summary>
    public Tensor K { get; }

    public PlateauState Plateau => new(_plateau);
}

/// <summary>The learning-rate schedule's state, read from and written back to D's buffer.</summary>
public readonly struct PlateauState(Tensor buffer)
{
    /// <summary>Adds one step's M_global to the window; at the window's end, returns whether its
    /// mean failed to improve on the best earlier window (then the learning rates halve).</summary>
    public bool Observe(double mGlobal, int window)
    {
        var s = buffer.ToDoubleArray();
        double sum = s[0] + mGlobal, steps = s[1] + 1, best = s[2];
        bool stalled = false;
        if (steps >= window)
        {
            double mean = sum / steps;
            stalled = mean >= best;
            (sum, steps, best) = (0, 0, Math.Min(best, mean));
        }
        using var host = Tensor.FromArray([sum, steps, best], [3]);
        buffer.CopyFrom(host);
        return stalled;
    }
}
