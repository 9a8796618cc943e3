using System.Runtime.InteropServices;
using System.Text.Json;
using RawGan.Backends;
using RawGan.Nn;
using RawGan.Recipes;
using RawGan.Training;

namespace RawGan.Tests;

/// <summary>
/// The host side of whole-step CUDA graphs (StepCapture), on the CPU: a step recorded with cells
/// computes what an eager step computes, and each later replay's host work (generator offsets,
/// optimizer step counts, BatchNorm's counter, the cells' values) matches the eager step it stands
/// for. The device side (CudaStepGraph) is in CudaStepGraphTests.
/// </summary>
public class StepCaptureTests
{
    private static readonly string Tiny = JsonSerializer.Serialize(new DcganOptions { Size = 32, Nz = 8, Ngf = 4, Ndf = 4 });

    private static IGanRecipe Dcgan() => Trainer.CreateRecipe("dcgan", Tiny, Device.Cpu, seed: 3);

    private static Tensor Batch() => Tensor.Rand([4, 3, 32, 32], new Generator(11), low: -1, high: 1).DetachFromScope();

    private static double[] Step(IGanRecipe recipe, Tensor real)
    {
        using var scope = new TensorScope();
        return [.. recipe.Step(real).Select(m => m.Item())];
    }

    /// <summary>Two DCGANs from the same seeds, each one eager step into training (a first step makes
    /// the optimizer state and cannot be recorded), and the batch both train on.</summary>
    private static (IGanRecipe Recorded, IGanRecipe Eager, Tensor Real) Twins()
    {
        var (recorded, eager, real) = (Dcgan(), Dcgan(), Batch());
        Step(recorded, real);
        Step(eager, real);
        return (recorded, eager, real);
    }

    private static float[] Weights(IGanRecipe recipe) =>
        [.. recipe.Modules.SelectMany(m => m.Module.Parameters()).SelectMany(p => p.ToFloatArray())];

    [Fact]
    public void RecordedStep_ComputesWhatAnEagerStepComputes()
    {
        var (recorded, eager, real) = Twins();
        using var _ = recorded;
        using var __ = eager;
        using var ___ = real;

        double[] viaCells;
        using (var capture = StepCapture.Begin(Device.Cpu))
        {
            viaCells = Step(recorded, real);
            capture.End();
            Assert.True(capture.Used > 0, "the step made no cells: the optimizers and the noise draw should");
        }
        Assert.Equal(Step(eager, real), viaCells);
        Assert.Equal(Weights(eager), Weights(recorded));
        Assert.Equal(eager.Noise.Offset, recorded.Noise.Offset);
    }

    [Fact]
    public void EachLaterReplay_MovesTheHostOnAsAnEagerStepDoes()
    {
        var (recorded, eager, real) = Twins();
        using var _ = recorded;
        using var __ = eager;
        using var ___ = real;
        Step(eager, real);
        using var capture = StepCapture.Begin(Device.Cpu);
        Step(recorded, real);
        capture.End();
        capture.BeforeReplay(first: true);

        for (int replay = 2; replay <= 4; replay++)
        {
            ulong offsetBefore = eager.Noise.Offset;
            Step(eager, real);
            capture.BeforeReplay(first: false);

            Assert.Equal(eager.Noise.Offset, recorded.Noise.Offset);
            // The noise cell holds where this replay's draw starts, as the eager step drew it.
            Assert.Equal(offsetBefore, MemoryMarshal.Read<ulong>(MemoryMarshal.AsBytes(capture.Values[..2])));
            foreach (var ((name, a), (_, b)) in recorded.Optimizers.Zip(eager.Optimizers))
                Assert.Equal(b.StateDict().Scalars, a.StateDict().Scalars);
            Assert.Equal(Counters(eager), Counters(recorded));
            var (stepSize, correction2) = AdamCorrections.For(2e-4, 0.5, 0.999, replay + 1);
            Assert.Contains((float)stepSize, capture.Values.ToArray());
            Assert.Contains((float)correction2, capture.Values.ToArray());
        }
    }

    [Fact]
    public void ALearningRateChange_ReachesTheNextReplay_OtherHyperparametersMayNotChange()
    {
        using var recipe = Dcgan();
        using var real = Batch();
        Step(recipe, real);
        using var capture = StepCapture.Begin(Device.Cpu);
        Step(recipe, real);
        capture.End();
        var adam = (Optim.Adam)recipe.Optimizers[0].Optimizer;

        adam.LearningRate = 1e-3;
        capture.BeforeReplay(first: false);
        Assert.Contains((float)AdamCorrections.For(1e-3, 0.5, 0.999, 3).StepSize, capture.Values.ToArray());

        adam.Beta1 = 0.9;
        var e = Assert.Throws<InvalidOperationException>(() => capture.BeforeReplay(first: false));
        Assert.Contains("beta1 changed", e.Message);
    }

    [Fact]
    public void AFirstStep_CannotBeRecorded_ItMakesTheOptimizerState()
    {
        using var recipe = Dcgan();
        using var real = Batch();
        using var capture = StepCapture.Begin(Device.Cpu);
        var e = Assert.Throws<InvalidOperationException>(() => Step(recipe, real));
        Assert.Contains("after an eager one", e.Message);
    }

    public static TheoryData<string> CapturableRecipes =>
        [.. RecipeCatalog.Names.Where(n => { using var r = Trainer.CreateRecipe(n, "{}", Device.Cpu, 0); return r.Capturable; })];

    [Theory]
    [MemberData(nameof(CapturableRecipes))]
    public void RecipesThatSayCapturable_ReadNothingBackInAStep(string name)
    {
        // Recipes at their default sizes, at batch 2: the check is of what a step reads, not of its numbers.
        using var recipe = Trainer.CreateRecipe(name, "{}", Device.Cpu, seed: 1);
        using var scope = new TensorScope();
        var image = recipe.Generate(recipe.SampleLatent(1, new Generator(0)));
        var real = Tensor.Rand([2, image.Shape[1], image.Shape[2], image.Shape[3]], new Generator(2), low: recipe.DataRange.Low, high: recipe.DataRange.High);
        recipe.Step(real);
        using (ReadBackGuard.Forbid()) recipe.Step(real);
    }

    [Fact]
    public void GraphOn_NeedsAGpuAndACapturableRecipe()
    {
        using var dcgan = Dcgan();
        Assert.Contains("need --device cuda", Assert.Throws<ArgumentException>(() => new GraphedSteps(dcgan, Device.Cpu)).Message);
        using var torchfaces = Trainer.CreateRecipe("torchfaces", "{}", Device.Cpu, 0);
        Assert.False(torchfaces.Capturable);
    }

    private static double[] Counters(IGanRecipe recipe) =>
        [.. recipe.Modules.SelectMany(m => m.Module.Modules()).OfType<BatchNorm>().Select(b => b.NumBatchesTracked!.Item())];
}
