namespace RawGan;

/// <summary>
/// bfloat16: the upper 16 bits of a float32 (8 exponent bits, 7 mantissa bits). Float32 is rounded
/// to it to nearest, ties to even, as tensor cores and kernels/bf16.cu do; a NaN stays a NaN
/// (quiet). Widening back to float32 is exact.
/// </summary>
public static class BFloat16
{
    public static ushort ToBits(float value)
    {
        uint u = BitConverter.SingleToUInt32Bits(value);
        // A NaN's payload may sit in the low bits alone: rounding could turn it into infinity.
        if ((u & 0x7FFF_FFFFu) > 0x7F80_0000u) return (ushort)((u >> 16) | 0x40u);
        u += 0x7FFFu + ((u >> 16) & 1u);
        return (ushort)(u >> 16);
    }

    public static float FromBits(ushort bits) => BitConverter.UInt32BitsToSingle((uint)bits << 16);

    /// <summary>The float32 nearest to <paramref name="value"/> that bfloat16 can hold.</summary>
    public static float Round(float value) => FromBits(ToBits(value));

    /// <summary>Rounds every element in place.</summary>
    public static void Round(Span<float> values)
    {
        for (int i = 0; i < values.Length; i++) values[i] = Round(values[i]);
    }
}
