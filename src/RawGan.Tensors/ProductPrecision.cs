namespace RawGan;

/// <summary>
/// How convolutions and matrix products treat their float32 inputs (PyTorch's
/// float32_matmul_precision "highest", "high" and "medium"):
/// - Fp32: strict float32 products.
/// - Tf32: cuBLAS and cuDNN may round inputs to TF32 (10 mantissa bits) on tensor cores. CUDA
///   only; the CPU computes these in strict float32.
/// - Bf16: inputs are rounded to bfloat16 (7 mantissa bits) and the products accumulate in
///   float32; a convolution's output is rounded to bfloat16 as well (cuDNN writes it in the
///   inputs' type), a matrix product's is not (cuBLAS writes float32). Weights, gradients,
///   optimizer state and every other op stay float32. The CPU emulates it exactly so, which makes
///   it the reference of the CUDA path.
/// </summary>
public enum ProductPrecision
{
    Fp32,
    Tf32,
    Bf16,
}

/// <summary>
/// The product precision of the calling flow of work (an AsyncLocal, so a test or a training run on
/// one thread does not change another's). Strict float32 unless a <see cref="Use"/> scope says otherwise.
/// </summary>
public static class Products
{
    private static readonly AsyncLocal<ProductPrecision> Current = new();

    public static ProductPrecision Precision => Current.Value;

    /// <summary>Sets the precision until the returned scope is disposed, which restores the one before.</summary>
    public static IDisposable Use(ProductPrecision precision)
    {
        var before = Current.Value;
        Current.Value = precision;
        return new Restore(before);
    }

    private sealed class Restore(ProductPrecision before) : IDisposable
    {
        private bool _disposed;

        public void Dispose()
        {
            if (_disposed) return;
            _disposed = true;
            Current.Value = before;
        }
    }
}
