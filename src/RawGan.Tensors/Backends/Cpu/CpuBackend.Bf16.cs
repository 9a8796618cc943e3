namespace RawGan.Backends.Cpu;

// ProductPrecision.Bf16 on the CPU: the roundings the CUDA backend's bfloat16 products make, so
// that path has a reference here and bf16 training can be tried without a GPU. A product reads
// copies of its float32 inputs rounded to bfloat16 and accumulates in float32; a convolution's
// output is rounded to bfloat16 as well (cuDNN writes it in the inputs' type), a matrix product's
// is not (cuBLAS writes float32). Float64 (gradient checks) is never rounded.
public sealed partial class CpuBackend
{
    private static bool EmulatesBf16(Tensor t) => t.DType == DType.Float32 && Products.Precision == ProductPrecision.Bf16;

    /// <summary>A copy of an input rounded to bfloat16, or null when products are not bf16 (the
    /// caller reads the tensor itself). The caller disposes it.</summary>
    private static Tensor? Bf16Input(Tensor t)
    {
        if (!EmulatesBf16(t)) return null;
        var copy = Tensor.Empty(t.Shape, DType.Float32, Device.Cpu);
        var values = Span<float>(copy);
        Span<float>(t).CopyTo(values);
        BFloat16.Round(values);
        return copy;
    }

    /// <summary>Rounds a convolution's output to bfloat16 when products are bf16.</summary>
    private static void Bf16Output(Tensor t)
    {
        if (EmulatesBf16(t)) BFloat16.Round(Span<float>(t));
    }
}
