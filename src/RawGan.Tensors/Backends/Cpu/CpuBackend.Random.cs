using System.Runtime.InteropServices;

namespace RawGan.Backends.Cpu;

public sealed partial class CpuBackend
{
    // The streams are drawn in float32 (as the CUDA kernels draw them) and then converted, so a
    // float64 tensor holds exactly the float32 stream's values.

    public void RandomUniform(Tensor y, ulong seed, ulong offset, double low, double high, Tensor? offsetBase = null)
    {
        offset += Base(offsetBase);
        var u = new float[y.NumEl];
        Philox.FillUniform(u, seed, offset);
        Store(y, u, v => low + (high - low) * v);
    }

    public void RandomNormal(Tensor y, ulong seed, ulong offset, double mean, double std, Tensor? offsetBase = null)
    {
        offset += Base(offsetBase);
        var n = new float[y.NumEl];
        Philox.FillNormal(n, seed, offset);
        Store(y, n, v => mean + std * v);
    }

    public void DropoutMask(Tensor mask, ulong seed, ulong offset, double p, Tensor? offsetBase = null)
    {
        offset += Base(offsetBase);
        var u = new float[mask.NumEl];
        Philox.FillUniform(u, seed, offset);
        double keep = 1 / (1 - p);
        Store(mask, u, v => v < p ? 0 : keep);
    }

    /// <summary>The ulong a captured step's offset cell holds (two float32 elements), or 0 without one.</summary>
    private static ulong Base(Tensor? offsetBase) =>
        offsetBase is null ? 0 : MemoryMarshal.Read<ulong>(MemoryMarshal.AsBytes(Span<float>(offsetBase)[..2]));

    private static void Store(Tensor y, float[] values, Func<double, double> map)
    {
        if (y.DType == DType.Float32)
        {
            var s = Span<float>(y);
            for (int i = 0; i < s.Length; i++) s[i] = (float)map(values[i]);
        }
        else
        {
            var s = Span<double>(y);
            for (int i = 0; i < s.Length; i++) s[i] = map(values[i]);
        }
    }
}
