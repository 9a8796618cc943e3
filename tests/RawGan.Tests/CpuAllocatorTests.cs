using RawGan.Backends.Cpu;
using RawGan.Training;

namespace RawGan.Tests;

/// <summary>The CPU backend's caching allocator: arrays come back, statistics add up, and no op
/// reads output memory it did not write (reused arrays are not cleared).</summary>
public class CpuAllocatorTests
{
    private static CpuAllocator Allocator => CpuBackend.Instance.Allocator;

    [Fact]
    public void DisposedTensor_ArrayIsReusedByTheNextTensorOfItsLength()
    {
        // A length no other test allocates, so parallel tests cannot take the array in between.
        int[] shape = [7919, 3];
        var first = Tensor.Zeros(shape);
        var array = ((CpuStorage)first.Storage).Data;
        first.Dispose();

        using var second = Tensor.Empty(shape);
        Assert.Same(array, ((CpuStorage)second.Storage).Data);
    }

    [Fact]
    public void FreedStorage_HoldsNoArray_SoAUseAfterFreeCannotReachAnotherTensorsData()
    {
        var t = Tensor.Ones([5, 7]);
        var storage = (CpuStorage)t.Storage;
        t.Dispose();
        Assert.Empty(storage.Data);
        Assert.Throws<ObjectDisposedException>(() => t.Storage);
    }

    [Fact]
    public void Stats_CountBytesInUse_AndTheirPeak()
    {
        var allocator = new CpuAllocator();
        var a = allocator.Rent<float>(1000);
        var b = allocator.Rent<double>(10);
        Assert.Equal(4080, allocator.Stats.InUse);
        allocator.Return(a);
        Assert.Equal(80, allocator.Stats.InUse);
        Assert.Equal(4080, allocator.Stats.PeakInUse);
        Assert.Equal(4000, allocator.Stats.Cached);

        Assert.Same(a, allocator.Rent<float>(1000));
        Assert.Equal(1, allocator.Stats.CacheHits);
        Assert.Equal(2, allocator.Stats.NewArrays);
        allocator.Return(b);
        allocator.ResetPeak();
        Assert.Equal(4000, allocator.Stats.PeakInUse);
    }

    [Fact]
    public void CacheLimit_ArraysBeyondItAreLeftToTheGc()
    {
        var allocator = new CpuAllocator { CacheLimitBytes = 6000 };
        var a = allocator.Rent<float>(1000);
        var b = allocator.Rent<float>(1000);
        allocator.Return(a);
        allocator.Return(b);
        Assert.Equal(4000, allocator.Stats.Cached);
        Assert.Equal(0, allocator.Stats.InUse);
        Assert.Same(a, allocator.Rent<float>(1000));
        Assert.NotSame(b, allocator.Rent<float>(1000));
    }

    [Fact]
    public void PoisonReused_FillsReusedArraysWithNaN()
    {
        var allocator = new CpuAllocator { PoisonReused = true };
        var a = allocator.Rent<float>(16);
        Assert.All(a, v => Assert.Equal(0f, v)); // new arrays are the runtime's, zeroed
        allocator.Return(a);
        Assert.All(allocator.Rent<float>(16), v => Assert.True(float.IsNaN(v)));
    }

    /// <summary>Three DCGAN steps give the same weights whether reused arrays hold zeros, old data
    /// or NaN: every op of a GAN step (forward, backward, BCE, batch norm, Adam) writes all of its
    /// output before anything reads it.</summary>
    [Fact]
    public void DcganSteps_AreTheSame_WithReusedArraysPoisoned()
    {
        float[][] Train(bool poison)
        {
            bool before = Allocator.PoisonReused;
            Allocator.PoisonReused = poison;
            try
            {
                using var recipe = Trainer.CreateRecipe("dcgan", """{"Size":32,"Nz":8,"Ngf":4,"Ndf":4}""", Device.Cpu, seed: 5);
                using var real = Tensor.Rand([6, 3, 32, 32], new Generator(9), low: -1, high: 1);
                for (int i = 0; i < 3; i++)
                    using (new TensorScope()) recipe.Step(real);
                return recipe.Modules.SelectMany(m => m.Module.Parameters()).Select(p => p.ToFloatArray()).ToArray();
            }
            finally { Allocator.PoisonReused = before; }
        }

        var clean = Train(poison: false);
        var poisoned = Train(poison: true);
        Assert.Equal(clean.Length, poisoned.Length);
        for (int i = 0; i < clean.Length; i++)
            Assert.Equal(clean[i], poisoned[i]);
    }
}
