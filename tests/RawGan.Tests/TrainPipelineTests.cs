using System.Text.Json;
using RawGan.Checkpoints;
using RawGan.Data;
using RawGan.Recipes;
using RawGan.Training;

namespace RawGan.Tests;

/// <summary>
/// The trainer keeps one step in flight (Trainer.cs): step k is launched before step k-1 is recorded.
/// On the CPU a launched step has already run, so these tests see exactly the order a GPU run queues:
/// what needs the state after step N waits for it first, recipe.AfterStep sees step j's metrics after
/// step j+1 is launched wherever the loop waited, and resumed runs match uninterrupted ones.
/// </summary>
public class TrainPipelineTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rawgan-pipeline-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly string TinyDcgan = JsonSerializer.Serialize(new DcganOptions { Size = 32, Nz = 8, Ngf = 4, Ndf = 4 });
    private static readonly SyntheticFaces Faces = new(64, 32);

    private TrainOutcome Train(string run, TrainOptions options, Action<int, Scripted>? onStep = null, CancellationTokenSource? stop = null)
    {
        using var inner = Trainer.CreateRecipe("dcgan", TinyDcgan, Device.Cpu, seed: 0);
        using var recipe = new Scripted(inner, onStep);
        return new Trainer(options with { Out = Path.Combine(_dir, run), Batch = 8 }, Faces, new StringWriter())
            .Run(recipe, TinyDcgan, Device.Cpu, stop?.Token ?? CancellationToken.None);
    }

    [Fact]
    public void AfterStep_SeesStepJ_AfterStepJPlus1IsLaunched_AndSamplesWaitForTheirStep()
    {
        var log = new List<string>();
        Train("order", new TrainOptions { Steps = 6, SampleEvery = 3, CheckpointEvery = 100 }, (_, r) => r.Log = log);
        // G: the sample grid (recipe.Generate), made from the state after steps 3 and 6, before step 4 runs.
        Assert.Equal(["S1", "S2", "A1", "S3", "A2", "G", "S4", "A3", "S5", "A4", "S6", "A5", "G"], log);
    }

    [Fact]
    public void SecondsPerStep_IsEachStepsOwnTime_ThoughStepKPlus1RunsBeforeStepKIsRecorded()
    {
        // Step k sleeps (7 - k) x 30 ms, longest first: booking step k+1's time to step k would give step k
        // less than its own sleep, and a sample step (3, 6), recorded right after its predecessor, about 0 s;
        // timing from an earlier mark than step k-1's end would give it more.
        Train("timed", new TrainOptions { Steps = 6, SampleEvery = 3, CheckpointEvery = 100 }, (k, _) => Thread.Sleep((7 - k) * 30));
        var seconds = File.ReadAllLines(Path.Combine(_dir, "timed", "metrics.jsonl"))
            .Select(line => JsonDocument.Parse(line).RootElement.GetProperty("seconds_per_step").GetDouble()).ToArray();
        for (int k = 1; k <= 6; k++)
            Assert.True(seconds[k - 1] >= (7 - k) * 0.029, $"step {k} slept {(7 - k) * 30} ms but records {seconds[k - 1] * 1000:F1} ms");
        // And no more than its own: steps 2-6 add up to the 450 ms they slept, not to running totals (step 1
        // also holds the run's start-up).
        double later = seconds[1..].Sum();
        Assert.True(later < 0.45 + 0.3, $"steps 2-6 slept 450 ms in all but record {later * 1000:F0} ms: {string.Join(", ", seconds[1..].Select(s => $"{s * 1000:F0}"))}");
    }

    [Fact]
    public void SamplesCheckpointsAndEvaluationsAtStepN_AreThoseOfARunThatEndsAtN()
    {
        // Each kind of output on its own step, so each must wait for its step by itself.
        Train("long", new TrainOptions { Steps = 6, SampleEvery = 3, CheckpointEvery = 4, EvalEvery = 5 });
        Train("3", new TrainOptions { Steps = 3 });
        Train("4", new TrainOptions { Steps = 4 });
        Train("5", new TrainOptions { Steps = 5, EvalEvery = 5 });
        Assert.Equal(File.ReadAllBytes(Path.Combine(_dir, "3", "samples", "step-000003.png")),
                     File.ReadAllBytes(Path.Combine(_dir, "long", "samples", "step-000003.png")));
        AssertSameState(Path.Combine(_dir, "4", "checkpoints", "step-000004.safetensors"), Path.Combine(_dir, "long", "checkpoints", "step-000004.safetensors"));
        double Swd(string run) => JsonDocument.Parse(File.ReadAllLines(Path.Combine(_dir, run, "metrics.jsonl"))[4]).RootElement.GetProperty("swd_avg").GetDouble();
        Assert.Equal(Swd("5"), Swd("long"));
    }

    [Fact]
    public void AfterStepTiming_DependsNeitherOnWhereTheLoopWaits_NorOnAnInterruptionAndResume()
    {
        // Scripted halves the learning rates in AfterStep: a metric passed one step earlier or later changes the weights.
        Train("straight", new TrainOptions { Steps = 7, SampleEvery = 100, CheckpointEvery = 100 });
        Train("waits", new TrainOptions { Steps = 7, SampleEvery = 2, CheckpointEvery = 3 });
        // Cancelled while step 4 is launched: the trainer records step 4 and checkpoints after it.
        using var cancel = new CancellationTokenSource();
        var options = new TrainOptions { Steps = 7, SampleEvery = 100, CheckpointEvery = 100 };
        Assert.Equal(TrainOutcome.Interrupted, Train("stopped", options, (step, _) => { if (step == 4) cancel.Cancel(); }, cancel));
        var (_, info) = Checkpoint.Read(Path.Combine(_dir, "stopped", "checkpoints", "step-000004.safetensors"));
        Assert.Equal(MetricLines("stopped")[3].Take(4), info.PendingMetrics!);
        Assert.Equal(TrainOutcome.Finished, Train("stopped", options with { Resume = Path.Combine(_dir, "stopped") }));

        var expected = Path.Combine(_dir, "straight", "checkpoints", "step-000007.safetensors");
        AssertSameState(expected, Path.Combine(_dir, "waits", "checkpoints", "step-000007.safetensors"));
        AssertSameState(expected, Path.Combine(_dir, "stopped", "checkpoints", "step-000007.safetensors"));
        Assert.Equal(MetricLines("straight"), MetricLines("stopped"));
        Assert.Equal(MetricLines("straight"), MetricLines("waits"));
        var rates = MetricLines("straight").Select(m => m[^1]).ToArray();
        Assert.Equal(2e-4 / 32, rates[^1], 15); // AfterStep of steps 1 to 5 acted on steps 3 to 7
        Assert.Equal([2e-4, 2e-4], rates[..2]);
    }

    [Theory]
    [InlineData(5, new[] { 2, 4 })] // step 6 was launched when step 5's NaN was seen: it is dropped
    [InlineData(4, new[] { 2 })]    // a checkpoint step: its NaN is seen before its checkpoint is written
    public void NaNLoss_StopsAtItsStep_AndWritesNothingAfterIt(int nanStep, int[] checkpoints)
    {
        var options = new TrainOptions { Steps = 10, CheckpointEvery = 2, SampleEvery = 100 };
        var log = new StringWriter();
        using var inner = Trainer.CreateRecipe("dcgan", TinyDcgan, Device.Cpu, seed: 0);
        using var recipe = new Scripted(inner, (step, r) => r.NaNAt = nanStep);
        var outcome = new Trainer(options with { Out = Path.Combine(_dir, "nan"), Batch = 8 }, Faces, log).Run(recipe, TinyDcgan, Device.Cpu, CancellationToken.None);

        Assert.Equal(TrainOutcome.Diverged, outcome);
        Assert.Contains($"loss_D is NaN at step {nanStep}", log.ToString());
        Assert.Contains($"The last good checkpoint is {Path.Combine(_dir, "nan", "checkpoints", $"step-{checkpoints[^1]:D6}.safetensors")}", log.ToString());
        Assert.Equal(checkpoints.Select(s => $"step-{s:D6}.safetensors"),
            Directory.GetFiles(Path.Combine(_dir, "nan", "checkpoints")).Select(Path.GetFileName).Order());
        Assert.Equal(nanStep - 1, File.ReadAllLines(Path.Combine(_dir, "nan", "metrics.jsonl")).Length);
    }

    /// <summary>Each metrics.jsonl line's values but the timing ones (recipe metrics, then lr last).</summary>
    private double[][] MetricLines(string run) => [.. File.ReadAllLines(Path.Combine(_dir, run, "metrics.jsonl")).Select(line =>
    {
        var root = JsonDocument.Parse(line).RootElement;
        return new[] { "loss_D", "loss_G", "D_x", "D_G_z", "lr" }.Select(name => root.GetProperty(name).GetDouble()).ToArray();
    })];

    private static void AssertSameState(string expectedPath, string actualPath)
    {
        var (expected, actual) = SameCheckpoint.Assert(expectedPath, actualPath);
        foreach (var key in new[] { "optim.G", "optim.D", "pending_metrics", "noise_offset", "loader_batch" })
            Assert.Equal(expected.Metadata[key], actual.Metadata[key]);
    }

    /// <summary>dcgan with a log of its calls (S: Step k, A: AfterStep of step j's metrics, G: Generate),
    /// an AfterStep that halves both learning rates, and optionally a NaN loss_D at one step.</summary>
    private sealed class Scripted(IGanRecipe inner, Action<int, Scripted>? onStep) : IGanRecipe
    {
        private int _steps;
        private readonly Dictionary<double, int> _stepOfLossD = [];
        public List<string>? Log { get; set; }
        public int NaNAt { get; set; }

        public string Name => inner.Name;
        public Generator Noise => inner.Noise;
        public IReadOnlyList<(string Name, Nn.Module Module)> Modules => inner.Modules;
        public IReadOnlyList<(string Name, Optim.Optimizer Optimizer)> Optimizers => inner.Optimizers;
        public IReadOnlyList<string> MetricNames => inner.MetricNames;
        public Tensor SampleLatent(int count, Generator generator) => inner.SampleLatent(count, generator);
        public void Dispose() { }

        public IReadOnlyList<Tensor> Step(Tensor real)
        {
            _steps++;
            onStep?.Invoke(_steps, this);
            Log?.Add($"S{_steps}");
            var metrics = inner.Step(real);
            if (_steps == NaNAt) return [Tensor.Scalar(double.NaN), .. metrics.Skip(1)];
            _stepOfLossD[metrics[0].Item()] = _steps;
            return metrics;
        }

        public void AfterStep(IReadOnlyList<double> metrics)
        {
            Log?.Add($"A{_stepOfLossD.GetValueOrDefault(metrics[0])}"); // 0: a step before a resume
            foreach (var (_, optimizer) in Optimizers) optimizer.LearningRate /= 2;
        }

        public Tensor Generate(Tensor z)
        {
            Log?.Add("G");
            return inner.Generate(z);
        }
    }
}
