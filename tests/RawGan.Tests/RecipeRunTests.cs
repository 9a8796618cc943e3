using System.Text.Json;
using RawGan.Cli;
using RawGan.Recipes;
using StbImageSharp;

namespace RawGan.Tests;

/// <summary>`rawgan train torchfaces|vaegan|tfdcgan` end to end on tiny networks over synthetic faces, on the CPU.</summary>
public class RecipeRunTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rawgan-recipes-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly string[] TinyTorchFaces = ["--size", "32", "--nz", "8", "--ngf", "4", "--ndf", "4", "--hidden", "16"];
    private static readonly string[] TinyVaeGan = [.. TinyTorchFaces, "--nef", "4"];
    private static readonly string[] TinyTfDcgan = ["--nz", "8", "--ngf", "4", "--ndf", "4"];
    private static readonly string[] BalanceMetrics = ["gen", "fake", "real", "skip_D", "skip_G", "skips_D", "skips_G", "l2_coef"];

    private string Run(string recipe, string run, params string[] args)
    {
        var output = new StringWriter();
        int code = RawGanCli.Run(["train", recipe, "--device", "cpu", "--batch", "8", "--out", Path.Combine(_dir, run), .. args], output, output);
        Assert.True(code == 0, output.ToString());
        return Path.Combine(_dir, run);
    }

    private static JsonElement[] Metrics(string run) =>
        [.. File.ReadAllLines(Path.Combine(run, "metrics.jsonl")).Select(line => JsonDocument.Parse(line).RootElement)];

    private static void AssertRunFolder(string run, string recipe, string[] keys, int steps, int[] sampleSteps, int[] checkpointSteps)
    {
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "config.json")));
        Assert.Equal(recipe, config.RootElement.GetProperty("recipe").GetString());
        var metrics = Metrics(run);
        Assert.Equal(steps, metrics.Length);
        foreach (var key in keys.Concat(["step", "epoch", "lr", "seconds_per_step", "images_per_s"]))
            Assert.True(metrics[^1].TryGetProperty(key, out _), $"metrics.jsonl of {recipe} lacks {key}");
        Assert.True(File.Exists(Path.Combine(run, "monitor.png")), $"{recipe}: no monitor.png");
        foreach (int step in sampleSteps)
            Assert.True(File.Exists(Path.Combine(run, "samples", $"step-{step:D6}.png")), $"{recipe}: no sample grid at step {step}");
        Assert.Equal(checkpointSteps.Select(s => $"step-{s:D6}.safetensors"),
            Directory.GetFiles(Path.Combine(run, "checkpoints")).Select(Path.GetFileName).Order());
    }

    [Fact]
    public void TorchFaces_Skip_WritesTheRunFolder_AndLogsTheSeedsDecisions()
    {
        var run = Run("torchfaces", "tf", [.. TinyTorchFaces, "--balance", "skip", "--steps", "4", "--sample-every", "4", "--checkpoint-every", "2"]);
        AssertRunFolder(run, "torchfaces", BalanceMetrics, 4, [4], [2, 4]);
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "config.json")));
        Assert.Equal("Skip", config.RootElement.GetProperty("options").GetProperty("Balance").GetString());
        int skipsD = 0, skipsG = 0;
        foreach (var m in Metrics(run))
        {
            var (updateD, updateG) = Balancing.Skip(m.GetProperty("real").GetDouble(), m.GetProperty("fake").GetDouble());
            Assert.Equal(updateD ? 0 : 1, m.GetProperty("skip_D").GetDouble());
            Assert.Equal(updateG ? 0 : 1, m.GetProperty("skip_G").GetDouble());
            skipsD += updateD ? 0 : 1;
            skipsG += updateG ? 0 : 1;
            Assert.Equal(skipsD, m.GetProperty("skips_D").GetDouble());
            Assert.Equal(skipsG, m.GetProperty("skips_G").GetDouble());
            Assert.Equal(0, m.GetProperty("l2_coef").GetDouble());
        }
    }

    [Fact]
    public void TorchFaces_LearningRate_Anneals099PerEpoch_AsTheSeed()
    {
        // 16 images at batch 8: two steps per epoch.
        string data = Directory.CreateDirectory(Path.Combine(_dir, "faces")).FullName;
        var rng = new Random(3);
        for (int i = 0; i < 16; i++)
        {
            var pixels = new byte[32 * 32 * 3];
            rng.NextBytes(pixels);
            using var file = File.Create(Path.Combine(data, $"{i}.png"));
            new StbImageWriteSharp.ImageWriter().WritePng(pixels, 32, 32, StbImageWriteSharp.ColorComponents.RedGreenBlue, file);
        }
        var run = Run("torchfaces", "decay", [.. TinyTorchFaces, "--data", data, "--balance", "none", "--steps", "5"]);
        Assert.Equal([1e-3, 1e-3, 0.99e-3, 0.99e-3, 0.9801e-3], Metrics(run).Select(m => Math.Round(m.GetProperty("lr").GetDouble(), 12)));
    }

    [Fact]
    public void VaeGan_WritesTheRunFolder_AndReconstructionGrids()
    {
        var run = Run("vaegan", "vae", [.. TinyVaeGan, "--steps", "2", "--checkpoint-every", "1"]);
        AssertRunFolder(run, "vaegan", [.. BalanceMetrics, "kl", "recon"], 2, [2], [1, 2]);
        var recon = Path.Combine(run, "recon", "step-000002.png");
        Assert.True(File.Exists(recon), "no recon/ grid");
        // 32 fixed images of 32x32 as 4 pairs of rows (inputs, reconstructions) of 8, padded by 2.
        var image = ImageResult.FromMemory(File.ReadAllBytes(recon));
        Assert.Equal((8 * 34 + 2, 8 * 34 + 2), (image.Width, image.Height));
    }

    [Fact]
    public void VaeGan_ReconstructionLoss_Falls()
    {
        var run = Run("vaegan", "fall", ["--size", "32", "--nz", "8", "--ngf", "4", "--ndf", "2", "--hidden", "16", "--nef", "4", "--lr", "2e-3",
            "--steps", "24", "--sample-every", "100", "--checkpoint-every", "100"]);
        var recon = Metrics(run).Select(m => m.GetProperty("recon").GetDouble()).ToArray();
        double first = recon[..3].Average(), last = recon[^5..].Average();
        Assert.True(last < 0.75 * first, $"reconstruction error went from {first:F4} (first 3 steps) to {last:F4} (last 5): {string.Join(" ", recon.Select(r => r.ToString("F3")))}");
    }

    [Fact]
    public void TfDcgan_WritesTheRunFolder_At28x28_WithGridsEvery400Batches()
    {
        var run = Run("tfdcgan", "tfd", [.. TinyTfDcgan, "--steps", "3", "--checkpoint-every", "3"]);
        AssertRunFolder(run, "tfdcgan", ["loss_D", "loss_G", "D_x", "D_G_z"], 3, [3], [3]);
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "config.json")));
        Assert.Equal(28, config.RootElement.GetProperty("options").GetProperty("Size").GetInt32());
        Assert.Equal(400, config.RootElement.GetProperty("train").GetProperty("SampleEvery").GetInt32());
        var grid = ImageResult.FromMemory(File.ReadAllBytes(Path.Combine(run, "samples", "step-000003.png")));
        Assert.Equal((8 * 30 + 2, 8 * 30 + 2), (grid.Width, grid.Height));
    }

    [Fact]
    public void UnknownBalanceRule_IsAUsageError()
    {
        var error = new StringWriter();
        Assert.Equal(RawGanCli.UsageError, RawGanCli.Run(["train", "torchfaces", "--balance", "sometimes"], new StringWriter(), error));
        Assert.Contains("sometimes", error.ToString());
    }

    [Fact]
    public void TorchFaces_L2_ResumedRun_EqualsAnUninterruptedOne_CoefficientIncluded()
    {
        // Starting at 1e-4, the coefficient moves every step the generator error leaves [0.9, 1.3].
        string[] args = [.. TinyTorchFaces, "--balance", "l2", "--coef-l2", "1e-4", "--checkpoint-every", "100"];
        var straight = Run("torchfaces", "straight", [.. args, "--steps", "6"]);
        var stopped = Run("torchfaces", "stopped", [.. args, "--steps", "2"]);
        var output = new StringWriter();
        Assert.True(RawGanCli.Run(["train", "torchfaces", "--device", "cpu", "--resume", stopped, "--steps", "6"], output, output) == 0, output.ToString());

        var coefficients = Metrics(straight).Select(m => m.GetProperty("l2_coef").GetDouble()).ToArray();
        Assert.True(coefficients[1] != 1e-4, $"the coefficient never moved before the stop ({string.Join(", ", coefficients)}): the test proves nothing");
        var (a, b) = SameCheckpoint.Assert(Path.Combine(straight, "checkpoints", "step-000006.safetensors"),
            Path.Combine(stopped, "checkpoints", "step-000006.safetensors"), "differs after resume");
        Assert.Contains("balance.recent", a.Entries.Select(e => e.Name));
        Assert.Equal(a.Metadata["optim.D"], b.Metadata["optim.D"]);

        string[] timing = ["seconds_per_step", "images_per_s"];
        var expected = Metrics(straight).Select(m => m.EnumerateObject().Where(p => !timing.Contains(p.Name)).Select(p => $"{p.Name}={p.Value}"));
        var actual = Metrics(stopped).Select(m => m.EnumerateObject().Where(p => !timing.Contains(p.Name)).Select(p => $"{p.Name}={p.Value}"));
        Assert.Equal(expected.Select(m => string.Join(" ", m)), actual.Select(m => string.Join(" ", m)));
    }
}
