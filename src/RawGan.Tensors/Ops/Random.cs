namespace RawGan;

public sealed partial class Tensor
{
    /// <summary>Standard normal samples from the generator's Philox stream.</summary>
    public static Tensor Randn(int[] shape, Generator generator, DType dtype = DType.Float32, Device? device = null, double mean = 0, double std = 1)
    {
        var t = Empty(shape, dtype, device);
        var (seed, offset, offsetBase) = StepCapture.Draw(generator, t.NumEl);
        t.Backend.RandomNormal(t, seed, offset, mean, std, offsetBase);
        return t;
    }

    /// <summary>Uniform samples in (low, high) from the generator's Philox stream.</summary>
    public static Tensor Rand(int[] shape, Generator generator, DType dtype = DType.Float32, Device? device = null, double low = 0, double high = 1)
    {
        var t = Empty(shape, dtype, device);
        var (seed, offset, offsetBase) = StepCapture.Draw(generator, t.NumEl);
        t.Backend.RandomUniform(t, seed, offset, low, high, offsetBase);
        return t;
    }
}
