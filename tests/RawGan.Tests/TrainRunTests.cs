using System.Text.Json;
using RawGan.Checkpoints;
using RawGan.Cli;
using RawGan.Data;
using RawGan.Recipes;
using RawGan.Training;

namespace RawGan.Tests;

/// <summary>`rawgan train dcgan` end to end on a tiny DCGAN over synthetic faces, on the CPU.</summary>
public class TrainRunTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rawgan-run-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly string[] Tiny = ["--device", "cpu", "--size", "32", "--nz", "8", "--ngf", "4", "--ndf", "4", "--batch", "8"];

    private (int Code, string Out, string Err) Train(string run, params string[] extra)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = RawGanCli.Run(["train", "dcgan", .. Tiny, "--out", Path.Combine(_dir, run), .. extra], output, error);
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public void Precision_AutoIsTf32OnCudaFp32OnCpu_Tf32OnTheCpuIsAClearError_Bf16IsAllowedOnBoth()
    {
        Assert.Equal("tf32", Precision.Resolve("auto", Device.Cuda));
        Assert.Equal("fp32", Precision.Resolve("auto", Device.Cpu));
        Assert.Equal("fp32", Precision.Resolve("fp32", Device.Cuda));
        var (code, _, error) = Train("tf32", "--steps", "1", "--precision", "tf32");
        Assert.Equal(1, code);
        Assert.Contains("--precision tf32 needs the CUDA backend", error);
        Assert.Equal("bf16", Precision.Resolve("bf16", Device.Cpu));
        Assert.Equal(RawGanCli.UsageError, Train("fp16", "--steps", "1", "--precision", "fp16").Code);
    }

    [Fact]
    public void Bf16OnTheCpu_Trains_SaysItIsEmulated_AndRecordsIt()
    {
        var (code, output, error) = Train("bf16", "--steps", "3", "--precision", "bf16");
        Assert.True(code == 0, output + error);
        Assert.Contains("with bf16 products (emulated on the CPU: slower than fp32)", output);
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(_dir, "bf16", "config.json")));
        Assert.Equal("bf16", config.RootElement.GetProperty("train").GetProperty("Precision").GetString());
        Assert.All(File.ReadAllLines(Path.Combine(_dir, "bf16", "metrics.jsonl")),
            line => Assert.True(double.IsFinite(JsonDocument.Parse(line).RootElement.GetProperty("loss_D").GetDouble()), line));
        // The run's scope ended with it: later work is strict fp32 again.
        Assert.Equal(ProductPrecision.Fp32, Products.Precision);
    }

    [Fact]
    public void GraphOn_WithoutAGpu_IsAClearError_BeforeAnyRunFolder()
    {
        var (code, _, error) = Train("graph", "--steps", "1", "--graph", "on");
        Assert.Equal(1, code);
        Assert.Contains("CUDA graphs need --device cuda", error);
        Assert.False(Directory.Exists(Path.Combine(_dir, "graph")));
    }

    [Fact]
    public void Train_WritesConfig_Metrics_Monitor_Samples_AndCheckpoints()
    {
        var (code, output, error) = Train("a", "--steps", "6", "--sample-every", "3", "--checkpoint-every", "3");
        Assert.True(code == 0, output + error);
        var run = Path.Combine(_dir, "a");
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "config.json")));
        Assert.Equal("dcgan", config.RootElement.GetProperty("recipe").GetString());
        Assert.Equal(8, config.RootElement.GetProperty("options").GetProperty("Nz").GetInt32());
        Assert.Equal("fp32", config.RootElement.GetProperty("train").GetProperty("Precision").GetString()); // auto on the CPU

        var lines = File.ReadAllLines(Path.Combine(run, "metrics.jsonl"));
        Assert.Equal(6, lines.Length);
        using var last = JsonDocument.Parse(lines[^1]);
        foreach (var key in new[] { "step", "epoch", "loss_D", "loss_G", "D_x", "D_G_z", "lr", "seconds_per_step", "images_per_s" })
            Assert.True(last.RootElement.TryGetProperty(key, out _), $"metrics.jsonl lacks {key}");
        Assert.Equal(6, last.RootElement.GetProperty("step").GetInt64());

        Assert.True(File.Exists(Path.Combine(run, "monitor.png")));
        Assert.True(File.Exists(Path.Combine(run, "samples", "step-000003.png")));
        Assert.True(File.Exists(Path.Combine(run, "samples", "step-000006.png")));
        Assert.Equal(["step-000003.safetensors", "step-000006.safetensors"],
            Directory.GetFiles(Path.Combine(run, "checkpoints")).Select(Path.GetFileName).Order().ToArray());
    }

    [Fact]
    public void ResumedRun_EndsWithTheSameWeights_AsAnUninterruptedOne()
    {
        Assert.Equal(0, Train("straight", "--steps", "8", "--checkpoint-every", "100").Code);
        Assert.Equal(0, Train("stopped", "--steps", "3", "--checkpoint-every", "100").Code);
        var output = new StringWriter();
        int code = RawGanCli.Run(["train", "dcgan", "--device", "cpu", "--resume", Path.Combine(_dir, "stopped"), "--steps", "8"], output, output);
        Assert.True(code == 0, output.ToString());

        SameCheckpoint.Assert(Path.Combine(_dir, "straight", "checkpoints", "step-000008.safetensors"),
            Path.Combine(_dir, "stopped", "checkpoints", "step-000008.safetensors"), "differs after resume");
        Assert.Equal(8, File.ReadAllLines(Path.Combine(_dir, "stopped", "metrics.jsonl")).Length);
    }

    [Fact]
    public void Resume_TheSameCommandLineResumes_AFlagThatDiffersIsAnError()
    {
        Assert.Equal(0, Train("r", "--steps", "2").Code);
        var (code, output, error) = Train("r", "--steps", "3", "--resume", Path.Combine(_dir, "r"), "--lr", "0.0002");
        Assert.True(code == 0, output + error);

        (code, output, _) = Train("r", "--steps", "2", "--resume", Path.Combine(_dir, "r"));
        Assert.Equal(0, code);
        Assert.Contains("the run is already at step 3 of 2: nothing to train", output);

        var changed = new StringWriter();
        code = RawGanCli.Run(["train", "dcgan", "--resume", Path.Combine(_dir, "r"), "--steps", "4", "--ndf", "8", "--lr", "0.001"], new StringWriter(), changed);
        Assert.Equal(1, code);
        Assert.Contains("--ndf 8 (started with --ndf 4), --lr 0.001 (started with the default 0.0002)", changed.ToString());
        Assert.Equal(3, File.ReadAllLines(Path.Combine(_dir, "r", "metrics.jsonl")).Length);
    }

    [Fact]
    public void Out_OnAFolderThatHoldsARun_IsRefused_BeforeAnythingIsWritten()
    {
        Assert.Equal(0, Train("taken", "--steps", "2").Code);
        var before = File.ReadAllText(Path.Combine(_dir, "taken", "metrics.jsonl"));
        var (code, _, error) = Train("taken", "--steps", "1");
        Assert.Equal(1, code);
        Assert.Contains($"already holds a run; continue it with --resume {Path.Combine(_dir, "taken")}", error);
        Assert.Equal(before, File.ReadAllText(Path.Combine(_dir, "taken", "metrics.jsonl")));
    }

    [Fact]
    public void Resume_ADamagedConfig_IsNamed()
    {
        Assert.Equal(0, Train("e", "--steps", "1").Code);
        File.WriteAllText(Path.Combine(_dir, "e", "config.json"), "{\"recipe\": \"dcgan\"}");
        var (code, _, error) = Train("e", "--resume", Path.Combine(_dir, "e"), "--epochs", "1");
        Assert.Equal(1, code);
        Assert.Contains("config.json is damaged", error);
    }

    [Fact]
    public void Resume_ByEpochs_RunsToTheEpochsEnd()
    {
        string images = Directory.CreateDirectory(Path.Combine(_dir, "few")).FullName;
        for (int i = 0; i < 16; i++) WriteImage(Path.Combine(images, $"{i}.png"), i);
        // 16 images at batch 8: 2 steps an epoch. config.json keeps the folder's full path.
        Assert.Equal(0, Train("ep", "--data", Path.GetRelativePath(Environment.CurrentDirectory, images), "--steps", "1").Code);
        using (var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(_dir, "ep", "config.json"))))
            Assert.Equal(images, config.RootElement.GetProperty("train").GetProperty("Data").GetString());
        var (code, output, error) = Train("ep", "--resume", Path.Combine(_dir, "ep"), "--epochs", "2");
        Assert.True(code == 0, output + error);
        Assert.Equal(4, File.ReadAllLines(Path.Combine(_dir, "ep", "metrics.jsonl")).Length);
    }

    [Fact]
    public void RunFolder_OrdersCheckpointsByStep_PastAMillion_AndPrunesTheOldest()
    {
        var folder = RunFolder.Create(Path.Combine(_dir, "big"));
        foreach (var step in new[] { 999_998, 999_999, 1_000_000, 1_000_001 }) File.WriteAllText(folder.CheckpointPath(step), "");
        File.WriteAllText(folder.CheckpointPath(1_000_002) + ".tmp", "");
        Assert.Equal(folder.CheckpointPath(1_000_001), folder.NewestCheckpoint());
        folder.PruneCheckpoints(keep: 2);
        Assert.Equal([folder.CheckpointPath(1_000_000), folder.CheckpointPath(1_000_001)], folder.ListCheckpoints());
        Assert.Empty(Directory.GetFiles(folder.Checkpoints, "*.tmp"));
    }

    [Theory]
    [InlineData(75, "1:15")]
    [InlineData(3 * 3600 + 5, "3:00:05")]
    [InlineData(30 * 3600, "1d 6:00:00")]
    [InlineData(1e12, "> 999 days")]
    [InlineData(double.PositiveInfinity, "> 999 days")]
    public void Eta_ShowsDays_AndCapsWhatCannotBeMeant(double seconds, string shown)
    {
        Assert.Equal(shown, ProgressLine.Eta(seconds));
    }

    [Fact]
    public void Interrupted_WritesTheSampleGridAndMonitor_AsAFinishedRunDoes()
    {
        var options = new TrainOptions { Out = Path.Combine(_dir, "int"), Batch = 8, Steps = 10, SampleEvery = 100 };
        var recipeOptions = JsonSerializer.Serialize(new DcganOptions { Size = 32, Nz = 8, Ngf = 4, Ndf = 4 });
        using var recipe = Trainer.CreateRecipe("dcgan", recipeOptions, Device.Cpu, seed: 0);
        using var stop = new CancellationTokenSource();
        var log = new CallbackWriter(line => { if (line.Contains("step 1/")) stop.Cancel(); });
        var outcome = new Trainer(options, new SyntheticFaces(64, 32), log).Run(recipe, recipeOptions, Device.Cpu, stop.Token);
        Assert.Equal(TrainOutcome.Interrupted, outcome);
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(_dir, "int", "samples"), "step-*.png"));
        Assert.True(File.Exists(Path.Combine(_dir, "int", "monitor.png")));
    }

    /// <summary>Hears each line the trainer writes.</summary>
    private sealed class CallbackWriter(Action<string> heard) : StringWriter
    {
        public override void WriteLine(string? value)
        {
            base.WriteLine(value);
            heard(value ?? "");
        }
    }

    [Fact]
    public void Resume_WithAnotherRecipe_NamesTheRunsRecipe()
    {
        Assert.Equal(0, Train("d", "--steps", "1").Code);
        var error = new StringWriter();
        int code = RawGanCli.Run(["train", "began", "--device", "cpu", "--resume", Path.Combine(_dir, "d")], new StringWriter(), error);
        Assert.Equal(1, code);
        Assert.Contains($"that folder holds a dcgan run; continue it with `rawgan train dcgan --resume {Path.Combine(_dir, "d")}`", error.ToString());
    }

    [Fact]
    public void Resume_OtherImages_AreAnError_TheSameImagesElsewhereResume()
    {
        string images = Directory.CreateDirectory(Path.Combine(_dir, "images")).FullName;
        for (int i = 0; i < 8; i++) WriteImage(Path.Combine(images, $"{i}.png"), i);
        Assert.Equal(0, Train("f", "--data", images, "--steps", "1").Code);
        string moved = Path.Combine(_dir, "moved");
        Directory.Move(images, moved);

        var (code, output, error) = Train("f", "--resume", Path.Combine(_dir, "f"), "--data", moved, "--steps", "2");
        Assert.True(code == 0, output + error);

        WriteImage(Path.Combine(moved, "extra.png"), 9);
        (code, _, error) = Train("f", "--resume", Path.Combine(_dir, "f"), "--data", moved, "--steps", "3");
        Assert.Equal(1, code);
        Assert.Contains("the run trained on 8 images", error);
        Assert.Equal(0, Train("s", "--steps", "1").Code);
        (code, _, error) = Train("s", "--resume", Path.Combine(_dir, "s"), "--data", moved, "--steps", "2");
        Assert.Equal(1, code);
        Assert.Contains("the run trained on the built-in synthetic faces", error);
    }

    private static void WriteImage(string path, int shade)
    {
        var pixels = Enumerable.Repeat((byte)(shade * 20), 16 * 16 * 3).ToArray();
        using var file = File.Create(path);
        new StbImageWriteSharp.ImageWriter().WritePng(pixels, 16, 16, StbImageWriteSharp.ColorComponents.RedGreenBlue, file);
    }

    [Fact]
    public void Cancellation_WritesACheckpoint_AndReportsInterrupted()
    {
        var options = new TrainOptions { Out = Path.Combine(_dir, "stop"), Batch = 8, Steps = 10 };
        var recipeOptions = JsonSerializer.Serialize(new DcganOptions { Size = 32, Nz = 8, Ngf = 4, Ndf = 4 });
        using var recipe = Trainer.CreateRecipe("dcgan", recipeOptions, Device.Cpu, seed: 0);
        var outcome = new Trainer(options, new SyntheticFaces(64, 32), new StringWriter())
            .Run(recipe, recipeOptions, Device.Cpu, new CancellationToken(canceled: true));
        Assert.Equal(TrainOutcome.Interrupted, outcome);
        Assert.True(File.Exists(Path.Combine(_dir, "stop", "checkpoints", "step-000000.safetensors")));
    }

    [Fact]
    public void Sample_FromACheckpoint_WritesAGrid_AndEachImage()
    {
        Assert.Equal(0, Train("s", "--steps", "2").Code);
        var grid = Path.Combine(_dir, "grid.png");
        var each = Path.Combine(_dir, "each");
        var output = new StringWriter();
        int code = RawGanCli.Run(["sample", "--checkpoint", Path.Combine(_dir, "s", "checkpoints", "step-000002.safetensors"),
            "--count", "5", "--out", grid, "--each", each, "--device", "cpu"], output, output);
        Assert.True(code == 0, output.ToString());
        Assert.True(File.Exists(grid));
        Assert.Equal(5, Directory.GetFiles(each, "*.png").Length);
    }

    [Fact]
    public void Sample_FromARunFolder_WritesAJpegIntoANewFolder_AnUnknownImageTypeIsAUsageError()
    {
        Assert.Equal(0, Train("s", "--steps", "2").Code);
        var jpeg = Path.Combine(_dir, "new", "folder", "grid.jpg");
        var output = new StringWriter();
        int code = RawGanCli.Run(["sample", "--checkpoint", Path.Combine(_dir, "s"), "--count", "4", "--out", jpeg, "--device", "cpu"], output, output);
        Assert.True(code == 0, output.ToString());
        Assert.Contains("step 2", output.ToString());
        Assert.Equal([0xFF, 0xD8], File.ReadAllBytes(jpeg)[..2]);

        var error = new StringWriter();
        code = RawGanCli.Run(["sample", "--checkpoint", Path.Combine(_dir, "s"), "--out", Path.Combine(_dir, "grid.gif")], new StringWriter(), error);
        Assert.Equal(RawGanCli.UsageError, code);
        Assert.Contains("RawGan writes images as .png, .jpg (or .jpeg) or .bmp", error.ToString());
    }

    [Fact]
    public void Sample_ToAPlaceThatCannotBeWritten_SaysSo_WithoutAStackTrace()
    {
        Assert.Equal(0, Train("s", "--steps", "1").Code);
        File.WriteAllText(Path.Combine(_dir, "a-file"), "");
        var error = new StringWriter();
        int code = RawGanCli.Run(["sample", "--checkpoint", Path.Combine(_dir, "s"), "--count", "1", "--device", "cpu",
            "--out", Path.Combine(_dir, "a-file", "grid.png")], new StringWriter(), error);
        Assert.Equal(1, code);
        Assert.StartsWith($"rawgan: cannot write '{Path.Combine(_dir, "a-file", "grid.png")}'", error.ToString());
        Assert.DoesNotContain(" at RawGan.", error.ToString());
    }

    [Fact]
    public void MissingOrEmptyDataFolder_FailsBeforeTraining_WithExitCodeOne()
    {
        var (code, _, error) = Train("x", "--data", Path.Combine(_dir, "does-not-exist"), "--steps", "1");
        Assert.Equal(1, code);
        Assert.Contains("does-not-exist", error);
        var empty = Directory.CreateDirectory(Path.Combine(_dir, "empty")).FullName;
        (code, _, error) = Train("y", "--data", empty, "--steps", "1");
        Assert.Equal(1, code);
        Assert.False(Directory.Exists(Path.Combine(_dir, "y", "checkpoints")) && Directory.GetFiles(Path.Combine(_dir, "y", "checkpoints")).Length > 0);
    }

    /// <summary>Steps scripted by letter: D = D wins outright (loss_D 0.01, loss_G 6), x = a balanced step,
    /// d = loss_D just over 0.05, g = loss_G just under 5. Patience 3.</summary>
    [Theory]
    [InlineData("DDDxxx", 3)]   // three dominated steps: warned at the third
    [InlineData("xxDDDD", 5)]   // warned once, when the run of three is reached
    [InlineData("DDxDDx", 0)]   // never three in a row
    [InlineData("dddddd", 0)]   // D's loss at 0.06 is not outright
    [InlineData("gggggg", 0)]   // G's loss at 4.9 is not high enough
    public void LastingDominanceOfD_WarnsOfCollapse_OnceAndOnlyAfterPatienceSteps(string steps, int warnedAt)
    {
        var options = new TrainOptions { Out = Path.Combine(_dir, "collapse"), Batch = 8, Steps = 6, SampleEvery = 100, CollapsePatience = 3 };
        var recipeOptions = JsonSerializer.Serialize(new DcganOptions { Size = 32, Nz = 8, Ngf = 4, Ndf = 4 });
        using var inner = Trainer.CreateRecipe("dcgan", recipeOptions, Device.Cpu, seed: 0);
        using var recipe = new Rewritten(inner, (step, m) => steps[step - 1] switch
        {
            'D' => [Tensor.Scalar(0.01), Tensor.Scalar(6), .. m.Skip(2)],
            'd' => [Tensor.Scalar(0.06), Tensor.Scalar(6), .. m.Skip(2)],
            'g' => [Tensor.Scalar(0.01), Tensor.Scalar(4.9), .. m.Skip(2)],
            _ => [Tensor.Scalar(0.5), Tensor.Scalar(1), .. m.Skip(2)],
        });
        var log = new StringWriter();
        new Trainer(options, new SyntheticFaces(64, 32), log).Run(recipe, recipeOptions, Device.Cpu, CancellationToken.None);
        var warnings = log.ToString().Split('\n').Where(line => line.Contains("may have collapsed")).ToArray();
        if (warnedAt == 0)
            Assert.Empty(warnings);
        else
            Assert.Contains($"for 3 steps (step {warnedAt})", Assert.Single(warnings));
    }

    /// <summary>A recipe whose metrics are rewritten per step (step number from 1, real metrics).</summary>
    private sealed class Rewritten(IGanRecipe inner, Func<int, IReadOnlyList<Tensor>, IReadOnlyList<Tensor>> rewrite) : IGanRecipe
    {
        private int _calls;
        public string Name => inner.Name;
        public Generator Noise => inner.Noise;
        public IReadOnlyList<(string Name, Nn.Module Module)> Modules => inner.Modules;
        public IReadOnlyList<(string Name, Optim.Optimizer Optimizer)> Optimizers => inner.Optimizers;
        public IReadOnlyList<string> MetricNames => inner.MetricNames;
        public Tensor SampleLatent(int count, Generator generator) => inner.SampleLatent(count, generator);
        public Tensor Generate(Tensor z) => inner.Generate(z);
        public void Dispose() { }
        public IReadOnlyList<Tensor> Step(Tensor real) => rewrite(++_calls, inner.Step(real));
    }
}
