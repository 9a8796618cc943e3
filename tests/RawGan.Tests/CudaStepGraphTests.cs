using RawGan.Backends.Cuda;
using RawGan.Recipes;
using RawGan.Training;

namespace RawGan.Tests;

/// <summary>
/// Whole-step CUDA graphs (`--graph on`): a recipe replayed from a graph trains as the same recipe
/// run eagerly from the same seeds (the same kernels in the same order, so to within cuDNN's run-to-run
/// differences: 1e-4 relative), including a short batch that runs eagerly between replays; a step that
/// reads back cannot be captured, and says why. Skips on a machine where the CUDA backend cannot start.
/// </summary>
[Collection(nameof(CudaGpu))]
public class CudaStepGraphTests
{
    [Theory]
    [InlineData("dcgan", 4)]
    [InlineData("began", 2)]
    [InlineData("tfdcgan", 4)]
    public void Replays_TrainAsEagerSteps(string name, int batch)
    {
        CudaGpu.Require();
        string options = SmallRecipes.Options(name);
        int[] batches = [batch, batch, batch, batch, batch - 1, batch, batch];
        var eager = Train(name, options, batches, graph: false);
        var graphed = Train(name, options, batches, graph: true);
        for (int step = 0; step < batches.Length; step++)
            for (int i = 0; i < eager.Metrics[step].Length; i++)
                Assert.True(Close(graphed.Metrics[step][i], eager.Metrics[step][i]),
                    $"{name} step {step + 1} metric {i}: graph {graphed.Metrics[step][i]}, eager {eager.Metrics[step][i]}");
        double diff = Math.Sqrt(eager.Weights.Zip(graphed.Weights, (a, b) => (double)(a - b) * (a - b)).Sum());
        double norm = Math.Sqrt(eager.Weights.Sum(a => (double)a * a));
        Assert.True(diff <= 1e-4 * norm, $"{name}: weights differ by {diff} (norm {norm})");
        Assert.Equal(eager.NoiseOffset, graphed.NoiseOffset);
    }

    [Fact]
    public void AStepThatReadsBack_CannotBeCaptured_AndSaysWhy()
    {
        CudaGpu.Require();
        using var x = Tensor.Ones([8], device: Device.Cuda).DetachFromScope();
        var e = Assert.Throws<InvalidOperationException>(() => CudaStepGraph.Capture(() => [Tensor.Scalar((x * 2).Sum().Item(), device: Device.Cuda)]));
        Assert.Contains("captured in a CUDA graph", e.Message);
        Assert.Equal(16.0, (x * 2).Sum().Item()); // the backend goes on working
    }

    private sealed record Run(double[][] Metrics, float[] Weights, ulong NoiseOffset);

    /// <summary>Steps on batches of the given sizes (random images, fixed seeds), metrics read back after each.</summary>
    private static Run Train(string name, string options, int[] batches, bool graph)
    {
        using var recipe = Trainer.CreateRecipe(name, options, Device.Cuda, seed: 7);
        using var graphed = graph ? new GraphedSteps(recipe, Device.Cuda) : null;
        using var scope = new TensorScope();
        var image = recipe.Generate(recipe.SampleLatent(1, new Generator(0)));
        var metrics = new double[batches.Length][];
        for (int step = 0; step < batches.Length; step++)
        {
            using var stepScope = new TensorScope();
            var real = Tensor.Rand([batches[step], image.Shape[1], image.Shape[2], image.Shape[3]], new Generator(100 + (ulong)step),
                device: Device.Cuda, low: recipe.DataRange.Low, high: recipe.DataRange.High);
            var outputs = graphed?.Step(real) ?? recipe.Step(real);
            metrics[step] = [.. outputs.Select(m => m.Item())];
        }
        float[] weights = [.. recipe.Modules.SelectMany(m => m.Module.Parameters()).SelectMany(p => p.ToFloatArray())];
        return new Run(metrics, weights, recipe.Noise.Offset);
    }

    private static bool Close(double a, double b) => Math.Abs(a - b) <= 1e-4 * Math.Max(1, Math.Abs(b));
}
