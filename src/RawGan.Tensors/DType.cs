namespace RawGan;

/// <summary>Element type of a tensor. Float32 is the training type; Float64 exists so
/// gradient checks can trust their finite differences. Half types are reserved for
/// mixed precision storage on CUDA.</summary>
public enum DType
{
    Float32,
    Float64,
}

public static class DTypeExtensions
{
    public static int ElementSize(this DType dtype) => dtype switch
    {
        DType.Float32 => 4,
        DType.Float64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, null),
    };

    /// <summary>The lower-case name PyTorch users know: float32, float64.</summary>
    public static string Name(this DType dtype) => dtype.ToString().ToLowerInvariant();
}
