using System.Diagnostics;
using RawGan.Data;
using RawGan.Recipes;

namespace RawGan.Training;

/// <summary>
/// A training step queued on the device, its metrics on their way to the host
/// (<see cref="Tensor.StartReadBack"/>): the loop launches the next step before it waits for them.
/// </summary>
internal sealed class LaunchedStep : IDisposable
{
    private readonly PendingRead _metrics;

    private LaunchedStep(long step, double learningRate, PendingRead metrics)
    {
        Step = step;
        LearningRate = learningRate;
        _metrics = metrics;
    }

    /// <summary>The step's number, from 1.</summary>
    public long Step { get; }

    /// <summary>The learning rate the step ran with (metrics.jsonl's lr).</summary>
    public double LearningRate { get; }

    /// <summary>When the step was first known to be done (a <see cref="Stopwatch"/> timestamp; 0 before):
    /// at the end of its launch where the backend had finished it by then (the CPU computes the step inside
    /// Launch), else when <see cref="Wait"/> returned. The loop waits for step k after launching k+1, so
    /// the wait's end alone would book step k+1's CPU time to step k.</summary>
    public long DoneAt { get; private set; }

    /// <summary>Takes the next batch, uploads it, and queues the recipe's step (eager, or replayed from
    /// <paramref name="graphed"/>'s graph) and the read of its metrics.</summary>
    public static LaunchedStep Launch(long step, IGanRecipe recipe, GraphedSteps? graphed, BatchLoader loader, Device device)
    {
        double learningRate = recipe.Optimizers[0].Optimizer.LearningRate;
        // The step's tensors go with this scope. On the GPU their blocks are handed out again only to work
        // queued later on the same stream, which runs after the read below has copied the metrics.
        using var scope = new TensorScope();
        using var batch = loader.Next();
        var real = batch.ToTensor(device);
        var metrics = graphed?.Step(real) ?? recipe.Step(real);
        var read = F.Concat([.. metrics.Select(m => m.Reshape(1))], 0).StartReadBack();
        return new LaunchedStep(step, learningRate, read) { DoneAt = read.IsDone ? Stopwatch.GetTimestamp() : 0 };
    }

    /// <summary>Waits for this step's metrics only (on the GPU, not for a step launched after it).</summary>
    public double[] Wait()
    {
        var values = _metrics.Wait();
        if (DoneAt == 0) DoneAt = Stopwatch.GetTimestamp();
        return values;
    }

    public void Dispose() => _metrics.Dispose();
}
