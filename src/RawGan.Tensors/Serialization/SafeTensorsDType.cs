namespace RawGan.Serialization;

/// <summary>The dtype strings of the safetensors header that RawGan reads and writes. The
/// format defines more (BOOL, I8, U16, ...); a file using one of those is rejected with a
/// clear message rather than loaded with a guessed element size.</summary>
public static class SafeTensorsDType
{
    public const string F64 = "F64";
    public const string F32 = "F32";
    public const string F16 = "F16";
    public const string BF16 = "BF16";
    public const string I64 = "I64";
    public const string I32 = "I32";
    public const string U8 = "U8";

    public static IReadOnlyList<string> All { get; } = [F64, F32, F16, BF16, I64, I32, U8];

    /// <summary>Bytes per element; throws <see cref="ArgumentException"/> for an unknown dtype.</summary>
    public static int ElementSize(string dtype) => TryElementSize(dtype, out int size)
        ? size
        : throw new ArgumentException($"unknown safetensors dtype '{dtype}' (known: {string.Join(", ", All)})", nameof(dtype));

    public static bool TryElementSize(string dtype, out int size)
    {
        size = dtype switch
        {
            F64 or I64 => 8,
            F32 or I32 => 4,
            F16 or BF16 => 2,
            U8 => 1,
            _ => 0,
        };
        return size != 0;
    }
}
