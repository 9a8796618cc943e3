using RawGan.Backends.Cuda;
using RawGan.Recipes;
using RawGan.Training;

namespace RawGan.Tests;

/// <summary>
/// Every recipe (small: <see cref="SmallRecipes"/>), built from the same seeds on the CPU and on
/// CUDA, takes the same first steps on the same batch: the per-op CUDA-vs-CPU tests cannot see what
/// only a whole recipe does (modules moved to the GPU with their buffers, tensors made on the right
/// device, every op of the step present on CUDA). Strict float32 on both sides; metrics agree to 1e-3 (relative, or absolute below 1)
/// after three steps, where cuDNN's and the CPU's different summation orders have compounded.
/// Skips on a machine where the CUDA backend cannot start.
/// </summary>
[Collection(nameof(CudaGpu))]
public class CudaRecipeTests
{
    private const int Batch = 4, Steps = 3;

    public static TheoryData<string> Recipes => [.. RecipeCatalog.Names];

    [Theory]
    [MemberData(nameof(Recipes))]
    public void FirstSteps_OnCuda_MatchTheCpu(string name)
    {
        CudaGpu.Require();
        SameMetrics(name, "", 1e-3);
    }

    /// <summary>
    /// bf16 products on CUDA take the steps the CPU's emulation of them takes. Both sides round the
    /// same inputs to bfloat16, but a float32 sum that lands near a rounding boundary can round either
    /// way depending on summation order, and each such flip moves a value by one bfloat16 step (2^-8
    /// relative): the metrics agree to 2e-2 where strict float32 agrees to 1e-3.
    /// </summary>
    [Theory]
    [InlineData("dcgan")]
    [InlineData("began")]
    public void FirstSteps_InBf16_OnCuda_MatchTheCpuEmulation(string name)
    {
        CudaGpu.Require();
        using var bf16 = Products.Use(ProductPrecision.Bf16);
        SameMetrics(name, "bf16 ", 2e-2);
    }

    /// <summary>A recipe disposed after training gives back every block it held on the device: its
    /// networks, their buffers and its optimizers' state (a trainer or benchmark builds several in one process).</summary>
    [Theory]
    [MemberData(nameof(Recipes))]
    public void Dispose_ReturnsEveryDeviceBlock(string name)
    {
        var cuda = CudaGpu.Require();
        Run(name, Device.Cuda); // the backend's own lasting blocks (cuBLAS's workspace) are made here, once
        CudaGpu.CollectEarlierTensors();
        long before = cuda.Allocator.Stats.InUse;
        Run(name, Device.Cuda);
        Assert.Equal(before, cuda.Allocator.Stats.InUse);
    }

    /// <summary>Runs the recipe's first steps on both devices; each metric agrees to tol (relative, or absolute below 1).</summary>
    private static void SameMetrics(string name, string what, double tol)
    {
        var cpu = Run(name, Device.Cpu);
        var cuda = Run(name, Device.Cuda);
        using var recipe = Trainer.CreateRecipe(name, SmallRecipes.Options(name), Device.Cpu, seed: 5);
        for (int step = 0; step < Steps; step++)
            for (int i = 0; i < cpu[step].Length; i++)
            {
                double want = cpu[step][i], got = cuda[step][i];
                Assert.True(Math.Abs(got - want) <= tol * Math.Max(1, Math.Abs(want)),
                    $"{name} {what}step {step + 1} {recipe.MetricNames[i]}: cuda {got}, cpu {want}");
            }
    }

    /// <summary>The metrics of the recipe's first steps on one fixed batch, read back after each.</summary>
    private static double[][] Run(string name, Device device)
    {
        using var recipe = Trainer.CreateRecipe(name, SmallRecipes.Options(name), device, seed: 5);
        using var scope = new TensorScope();
        var image = recipe.Generate(recipe.SampleLatent(1, new Generator(0)));
        var range = recipe.DataRange;
        var real = Tensor.Rand([Batch, image.Shape[1], image.Shape[2], image.Shape[3]], new Generator(9), low: range.Low, high: range.High).To(device);
        var metrics = new double[Steps][];
        for (int step = 0; step < Steps; step++)
        {
            using var stepScope = new TensorScope();
            metrics[step] = [.. recipe.Step(real).Select(m => m.Item())];
        }
        return metrics;
    }
}
