using System.Text.Json;
using RawGan.Checkpoints;
using RawGan.Cli;
using RawGan.Data;
using RawGan.Images;
using RawGan.Nn;
using RawGan.Recipes;
using RawGan.Serialization;
using RawGan.Training;

namespace RawGan.Tests;

/// <summary>BEGAN: the k_t controller, M_global, the autoencoder loss's gradients, the paper's
/// architecture, the plateau schedule, and `rawgan train began` end to end on a tiny model.</summary>
public class BeganTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rawgan-began-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void KUpdate_FollowsTheBalanceError_AndClipsToZeroAndOne()
    {
        // gamma L(x) - L(G(z)) = 0.5 * 0.3 - 0.1 = 0.05 per step, times lambda_k.
        double k = 0;
        for (int t = 0; t < 10; t++) k = BeganRecipe.UpdateK(k, lossReal: 0.3, lossFake: 0.1, gamma: 0.5, lambdaK: 0.001);
        Assert.Equal(10 * 0.001 * 0.05, k, 12);
        // G's images reconstructed too well: k falls, and stops at 0.
        k = BeganRecipe.UpdateK(k, lossReal: 0.3, lossFake: 0.4, gamma: 0.5, lambdaK: 0.001);
        Assert.Equal(0.0005 - 0.00025, k, 12);
        Assert.Equal(0, BeganRecipe.UpdateK(k, lossReal: 0.3, lossFake: 0.9, gamma: 0.5, lambdaK: 0.001));
        Assert.Equal(0, BeganRecipe.UpdateK(0, lossReal: 0.1, lossFake: 0.2, gamma: 0.5, lambdaK: 0.001));
        // And it never passes 1.
        Assert.Equal(1, BeganRecipe.UpdateK(0.99995, lossReal: 0.3, lossFake: 0.1, gamma: 0.5, lambdaK: 0.01));
        Assert.Equal(1, BeganRecipe.UpdateK(1, lossReal: 0.3, lossFake: 0.1, gamma: 0.5, lambdaK: 0.001));
    }

    [Theory]
    [InlineData(0.3, 0.1, 0.5, 0.35)]   // L(x) + |0.15 - 0.1|
    [InlineData(0.2, 0.3, 0.5, 0.4)]    // L(x) + |0.1 - 0.3|
    [InlineData(0.2, 0.14, 0.7, 0.2)]   // at equilibrium M_global is L(x)
    public void MGlobal_IsLossRealPlusTheAbsoluteBalanceError(double lossReal, double lossFake, double gamma, double expected) =>
        Assert.Equal(expected, BeganRecipe.MGlobal(lossReal, lossFake, gamma), 12);

    /// <summary>A conv + ELU "autoencoder" whose weight is an input of the checked function.</summary>
    private sealed class ConvElu(Tensor weight) : Module
    {
        public override Tensor Forward(Tensor x) => F.Elu(F.Conv2d(x, weight, null, 1, 1));
    }

    [Fact]
    public void AutoencoderLoss_Gradients_MatchFiniteDifferences_ThroughBothDOfVAndV()
    {
        var v = GradCheck.Leaf([2, 3, 5, 5], seed: 1);
        var w = GradCheck.Leaf([3, 3, 3, 3], seed: 2, low: -0.3, high: 0.3);
        GradCheck.Check("began_autoencoder_loss", xs => BeganRecipe.AutoencoderLoss(new ConvElu(xs[1]), xs[0]), v, w);
    }

    [Fact]
    public void Networks_FollowThePaper_AtBothSizes()
    {
        var init = new Generator(3);
        foreach (var (size, blocks) in new[] { (64, 4), (128, 5) })
        {
            using var decoder = BeganRecipe.BuildDecoder(size, n: 4, inputs: 6, init);
            using var encoder = BeganRecipe.BuildEncoder(size, n: 4, hidden: 6, init);
            using var scope = new TensorScope();
            var image = decoder.Forward(Tensor.Rand([2, 6], init, low: -1, high: 1));
            Assert.Equal([2, 3, size, size], image.Shape);
            Assert.Equal([2, 6], encoder.Forward(image).Shape);

            Assert.DoesNotContain(decoder.Modules().Concat(encoder.Modules()), m => m is BatchNorm2d or BatchNorm1d or Dropout);
            var decoderConvs = decoder.Modules().OfType<Conv2d>().ToList();
            Assert.Equal(2 * blocks + 1, decoderConvs.Count);
            Assert.All(decoderConvs, c => Assert.Equal((3, 1), (c.KernelSize, c.Stride)));
            Assert.Equal(blocks - 1, decoder.Modules().OfType<Upsample>().Count());
            Assert.Equal(4 * 8 * 8, decoder.Modules().OfType<Linear>().Single().OutFeatures);

            // Encoder: n, then per block two convs of (i+1)n and a stride-2 conv to (i+2)n.
            var encoderConvs = encoder.Modules().OfType<Conv2d>().ToList();
            int[] expectedWidths = [4, .. Enumerable.Range(0, blocks).SelectMany(i => i < blocks - 1 ? new[] { 4 * (i + 1), 4 * (i + 1), 4 * (i + 2) } : [4 * (i + 1), 4 * (i + 1)])];
            Assert.Equal(expectedWidths, encoderConvs.Select(c => c.OutChannels));
            Assert.Equal(blocks - 1, encoderConvs.Count(c => c.Stride == 2));
            Assert.Equal(blocks * 4 * 8 * 8, encoder.Modules().OfType<Linear>().Single().InFeatures);
        }
    }

    [Fact]
    public void Plateau_HalvesOnlyAfterAWindowThatDoesNotImprove()
    {
        using var buffer = Tensor.FromArray([0.0, 0.0, double.PositiveInfinity], [3]);
        var plateau = new PlateauState(buffer);
        bool[] Feed(params double[] m) => [.. m.Select(v => plateau.Observe(v, window: 2))];
        Assert.Equal([false, false], Feed(0.5, 0.4));   // first window: mean 0.45 becomes the best
        Assert.Equal([false, false], Feed(0.4, 0.3));   // 0.35 improves
        Assert.Equal([false, true], Feed(0.3, 0.5));    // 0.4 does not: halve
        Assert.Equal([false, false], Feed(0.3, 0.3));   // 0.3 improves on 0.35
        Assert.Equal([0.0, 0.0, 0.3], buffer.ToDoubleArray());
    }

    private static BeganRecipe TinyRecipe(double gamma = 0.5, double lambdaK = 0.001) =>
        new(new BeganOptions { Filters = 2, Nz = 8, Hidden = 8, Gamma = gamma, LambdaK = lambdaK }, Device.Cpu, new Generator(1), new Generator(2));

    private static Tensor RealBatch(int seed) => Tensor.Rand([2, 3, 64, 64], new Generator((ulong)seed), low: -1, high: 1);

    [Fact]
    public void Step_ReadsNothingBackFromTheDevice()
    {
        using var recipe = TinyRecipe();
        using var scope = new TensorScope();
        var real = RealBatch(0);
        using (ReadBackGuard.Forbid())
        {
            Assert.Throws<InvalidOperationException>(() => real.Item());   // the guard does catch a read
            for (int i = 0; i < 2; i++) recipe.Step(real);
        }
    }

    [Theory]
    [InlineData(0.5, 1.0)]    // gamma L(x) - L(G(z)) ~ +0.005: k_t climbs by tenths and stops at 1
    [InlineData(0.25, 0.0)]   // ~ -0.13: k_t is held at 0
    public void Step_KAndMGlobal_FollowTheHostFormulas_OnTheReadBackLosses(double gamma, double bound)
    {
        const double lambdaK = 40;
        using var recipe = TinyRecipe(gamma, lambdaK);
        var names = recipe.MetricNames.ToList();
        double k = 0;
        var seen = new List<double>();
        for (int t = 0; t < 8; t++)
        {
            using var scope = new TensorScope();
            var m = F.Concat([.. recipe.Step(RealBatch(t)).Select(v => v.Reshape(1))], 0).ToDoubleArray();
            double lx = m[names.IndexOf("L_x")], lg = m[names.IndexOf("L_G_z")];
            Assert.Equal(k, m[names.IndexOf("k_t")], 5);   // the k_t this step used
            Assert.Equal(BeganRecipe.MGlobal(lx, lg, gamma), m[names.IndexOf("M_global")], 5);
            k = BeganRecipe.UpdateK(k, lx, lg, gamma, lambdaK);
            seen.Add(k);
        }
        Assert.Equal(k, recipe.Modules[1].Module.StateDict()["k_t"].Item(), 5);
        Assert.Contains(bound, seen);
    }

    [Fact]
    public void CheckpointWithFloat64K_FromBeforeKMovedToTheDevice_StillLoads()
    {
        var path = Path.Combine(_dir, "old.safetensors");
        using (var writer = TinyRecipe())
            Checkpoint.Save(path, writer, new CheckpointInfo("began", "{}", 1, new LoaderPosition(0, 1), 2, 0));
        // Rewrite it as the old code did: k_t float64 [1].
        var saved = SafeTensorsFile.Read(path);
        var old = new SafeTensorsFile();
        foreach (var entry in saved.Entries)
        {
            if (entry.Name == "D.k_t") old.Add(entry.Name, [0.25], [1]);
            else old.Add(entry.Name, entry.DType, entry.Data, entry.Shape);
        }
        foreach (var (key, value) in saved.Metadata) old.Metadata[key] = value;
        old.Write(path);

        using var recipe = TinyRecipe();
        Checkpoint.Restore(Checkpoint.Read(path).File, recipe, path);
        var k = recipe.Modules[1].Module.StateDict()["k_t"];
        Assert.Equal(DType.Float32, k.DType);
        Assert.Equal(0.25, k.Item());
    }

    private static readonly string[] Tiny = ["--device", "cpu", "--filters", "2", "--nz", "8", "--hidden", "8", "--batch", "2"];

    /// <summary>Trains the tiny BEGAN at 64x64 unless extra names a --size (the CPU preset would pick 32).</summary>
    private (int Code, string Out) Train(string run, params string[] extra)
    {
        var output = new StringWriter();
        string[] size = extra.Contains("--size") ? [] : ["--size", "64"];
        int code = RawGanCli.Run(["train", "began", .. Tiny, .. size, "--out", Path.Combine(_dir, run), .. extra], output, output);
        return (code, output.ToString());
    }

    [Fact]
    public void TrainBegan_WritesMetrics_Monitor_Samples_Reconstructions_AndCheckpoints()
    {
        var (code, output) = Train("a", "--steps", "2", "--sample-every", "2", "--checkpoint-every", "2");
        Assert.True(code == 0, output);
        var run = Path.Combine(_dir, "a");
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "config.json")));
        Assert.Equal("began", config.RootElement.GetProperty("recipe").GetString());
        Assert.Equal(2, config.RootElement.GetProperty("train").GetProperty("Batch").GetInt32());

        var lines = File.ReadAllLines(Path.Combine(run, "metrics.jsonl"));
        Assert.Equal(2, lines.Length);
        using var last = JsonDocument.Parse(lines[^1]);
        foreach (var key in new[] { "M_global", "k_t", "L_x", "L_G_z", "loss_D", "lr" })
            Assert.True(last.RootElement.TryGetProperty(key, out _), $"metrics.jsonl lacks {key}");
        double lx = last.RootElement.GetProperty("L_x").GetDouble(), lg = last.RootElement.GetProperty("L_G_z").GetDouble();
        Assert.Equal(BeganRecipe.MGlobal(lx, lg, 0.5), last.RootElement.GetProperty("M_global").GetDouble(), 5);
        Assert.Equal(1e-4, last.RootElement.GetProperty("lr").GetDouble(), 12);

        Assert.True(File.Exists(Path.Combine(run, "monitor.png")));
        Assert.True(File.Exists(Path.Combine(run, "samples", "step-000002.png")));
        var recon = RgbImage.Read(Path.Combine(run, "recon", "step-000002.png"));
        Assert.Equal((8 * 66 + 2, 8 * 66 + 2), (recon.Width, recon.Height));  // 16 real and 16 fake (image, D(image)) pairs
        var checkpoint = SafeTensorsFile.Read(Path.Combine(run, "checkpoints", "step-000002.safetensors"));
        Assert.Equal([1], checkpoint["D.k_t"].Shape);
        Assert.Equal([3], checkpoint["D.lr_plateau"].Shape);
        Assert.Contains(checkpoint.Entries, e => e.Name.StartsWith("G.", StringComparison.Ordinal));
    }

    [Fact]
    public void ResumedRun_EndsWithTheSameWeights_K_AndLearningRate_AsAnUninterruptedOne()
    {
        // gamma 1 and lambda_k large, and a one-step plateau window, so k_t and the rate both move within 4 steps.
        var data = new SyntheticFaces(6, 64);
        var json = JsonSerializer.Serialize(new BeganOptions { Filters = 2, Nz = 8, Hidden = 8, Gamma = 1, LambdaK = 0.5, LrPatience = 1 });
        void Run(string run, long steps, bool resume)
        {
            var options = new TrainOptions { Out = Path.Combine(_dir, run), Resume = resume ? Path.Combine(_dir, run) : null, Batch = 2, Steps = steps, SampleEvery = 100, CheckpointEvery = 100 };
            using var recipe = Trainer.CreateRecipe("began", json, Device.Cpu, seed: 0);
            Assert.Equal(TrainOutcome.Finished, new Trainer(options, data, new StringWriter()).Run(recipe, json, Device.Cpu, CancellationToken.None));
        }
        Run("straight", 4, resume: false);
        Run("stopped", 2, resume: false);
        Run("stopped", 4, resume: true);

        var (a, b) = SameCheckpoint.Assert(Path.Combine(_dir, "straight", "checkpoints", "step-000004.safetensors"),
            Path.Combine(_dir, "stopped", "checkpoints", "step-000004.safetensors"), "differs after resume");
        Assert.Equal(a.Metadata["optim.G"], b.Metadata["optim.G"]);
        Assert.True(a["D.k_t"].ToFloatArray()[0] > 0, "k_t never moved: the test does not exercise its checkpointing");

        double[] Rates(string run) => [.. File.ReadAllLines(Path.Combine(_dir, run, "metrics.jsonl"))
            .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("lr").GetDouble())];
        Assert.Equal(Rates("straight"), Rates("stopped"));
        Assert.True(Rates("straight").Distinct().Count() > 1, "the learning rate never halved: the test does not exercise the schedule's state");
    }

    [Fact]
    public void UnsupportedSize_FailsWithExitCodeOne_BeforeTraining()
    {
        var (code, output) = Train("bad", "--size", "48", "--steps", "1");
        Assert.Equal(1, code);
        Assert.Contains("--size 48: BEGAN supports 32, 64 or 128", output);
    }
}
