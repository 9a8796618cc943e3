namespace RawGan.Tests;

/// <summary>
/// BFloat16, the reference that kernels/bf16.cu is checked against bit for bit: rounding to
/// nearest even at hand-checked bit patterns (a tie is a low half of exactly 0x8000), NaN and
/// infinity, signed zeros and denormals, and the exact round trip of every bf16 value.
/// </summary>
public class BFloat16Tests
{
    [Theory]
    // Exact: the low half is zero.
    [InlineData(0x3F80_0000u, 0x3F80)]         // 1
    [InlineData(0xC000_0000u, 0xC000)]         // -2
    // Ties go to the even neighbour, up or down.
    [InlineData(0x3F80_8000u, 0x3F80)]         // 1 + 2^-8, between 0x3F80 (even) and 0x3F81: down
    [InlineData(0x3F81_8000u, 0x3F82)]         // between 0x3F81 and 0x3F82 (even): up
    [InlineData(0xBF80_8000u, 0xBF80)]         // the same, negative: towards zero
    [InlineData(0xBF81_8000u, 0xBF82)]         // the same, negative: away from zero
    [InlineData(0x3FFF_8000u, 0x4000)]         // a tie up carries into the exponent: 2
    // Just above and below a tie.
    [InlineData(0x3F80_8001u, 0x3F81)]
    [InlineData(0x3F80_7FFFu, 0x3F80)]
    [InlineData(0x3F81_8001u, 0x3F82)]
    [InlineData(0x3F81_7FFFu, 0x3F81)]
    // Familiar values: pi to 3.140625, 0.1 to 0.10009765625 (as every bf16 implementation prints them).
    [InlineData(0x4049_0FDBu, 0x4049)]
    [InlineData(0x3DCC_CCCDu, 0x3DCD)]
    public void ToBits_RoundsToNearest_TiesToEven(uint f32, int bf16)
    {
        Assert.Equal((ushort)bf16, BFloat16.ToBits(F(f32)));
    }

    [Theory]
    [InlineData(0x7F7F_FFFFu, 0x7F80)]         // float.MaxValue: +inf
    [InlineData(0xFF7F_FFFFu, 0xFF80)]         // float.MinValue: -inf
    [InlineData(0x7F7F_8000u, 0x7F80)]         // a tie above the largest bf16 (odd): inf
    [InlineData(0x7F7F_7FFFu, 0x7F7F)]         // just below it: the largest finite bf16
    [InlineData(0x7F7E_8000u, 0x7F7E)]         // a tie whose even side is finite
    [InlineData(0x7F80_0000u, 0x7F80)]         // +inf stays
    [InlineData(0xFF80_0000u, 0xFF80)]         // -inf stays
    public void ToBits_OverflowsToInfinity_AtTheTop(uint f32, int bf16)
    {
        Assert.Equal((ushort)bf16, BFloat16.ToBits(F(f32)));
    }

    [Theory]
    [InlineData(0x7F80_0001u, 0x7FC0)]         // payload in the low half alone: rounding would give inf
    [InlineData(0xFF80_0001u, 0xFFC0)]         // the same, negative
    [InlineData(0x7FC0_0000u, 0x7FC0)]         // the canonical quiet NaN
    [InlineData(0x7F81_0000u, 0x7FC1)]         // signalling: made quiet, payload kept
    [InlineData(0x7FFF_FFFFu, 0x7FFF)]         // rounding would carry out of the mantissa
    [InlineData(0xFFFF_FFFFu, 0xFFFF)]
    public void ToBits_KeepsNaN_AQuietNaN(uint f32, int bf16)
    {
        ushort bits = BFloat16.ToBits(F(f32));
        Assert.Equal((ushort)bf16, bits);
        Assert.True(float.IsNaN(BFloat16.FromBits(bits)));
    }

    [Theory]
    [InlineData(0x0000_0000u, 0x0000)]         // +0
    [InlineData(0x8000_0000u, 0x8000)]         // -0 keeps its sign
    [InlineData(0x0000_0001u, 0x0000)]         // the smallest denormal: +0
    [InlineData(0x8000_0001u, 0x8000)]         // its negative: -0
    [InlineData(0x0000_8000u, 0x0000)]         // a denormal tie, even side 0
    [InlineData(0x0001_8000u, 0x0002)]         // a denormal tie, even side up
    [InlineData(0x0001_0000u, 0x0001)]         // the smallest bf16 denormal, exact
    [InlineData(0x007F_8000u, 0x0080)]         // a tie up to the smallest normal
    [InlineData(0x007F_FFFFu, 0x0080)]         // the largest float denormal: the smallest normal
    [InlineData(0x807F_FFFFu, 0x8080)]
    public void ToBits_ZerosAndDenormals(uint f32, int bf16)
    {
        Assert.Equal((ushort)bf16, BFloat16.ToBits(F(f32)));
    }

    [Fact]
    public void EveryBf16Value_RoundTripsExactly()
    {
        for (int bits = 0; bits <= ushort.MaxValue; bits++)
        {
            float value = BFloat16.FromBits((ushort)bits);
            Assert.Equal((uint)bits << 16, BitConverter.SingleToUInt32Bits(value));
            ushort back = BFloat16.ToBits(value);
            if (float.IsNaN(value))
                Assert.True(float.IsNaN(BFloat16.FromBits(back)), $"bf16 0x{bits:X4}: a NaN came back as 0x{back:X4}");
            else
                Assert.True(back == bits, $"bf16 0x{bits:X4} ({value:G9}) came back as 0x{back:X4}");
        }
    }

    [Fact]
    public void ToBits_IsTheNearestBf16_OnRandomFloats()
    {
        // An independent check of the integer trick: the nearer of the two bf16 values around x
        // (in double, exactly), the even one on a tie.
        var rng = new Random(11);
        for (int i = 0; i < 100_000; i++)
        {
            float x = F((uint)rng.NextInt64(0, 1L << 32));
            if (!float.IsFinite(x) || Math.Abs(x) >= F(0x7F7F_8000u)) continue;
            ushort down = (ushort)(BitConverter.SingleToUInt32Bits(x) >> 16), up = (ushort)(down + 1);
            double dd = Math.Abs(x - (double)BFloat16.FromBits(down)), du = Math.Abs((double)BFloat16.FromBits(up) - x);
            ushort nearest = dd < du ? down : du < dd ? up : (down & 1) == 0 ? down : up;
            Assert.True(BFloat16.ToBits(x) == nearest, $"0x{BitConverter.SingleToUInt32Bits(x):X8}: 0x{BFloat16.ToBits(x):X4}, nearest 0x{nearest:X4}");
        }
    }

    [Fact]
    public void Round_IsFromBitsOfToBits_InPlaceToo()
    {
        float[] values = [1.00390625f, -3.3f, 0f, float.PositiveInfinity, 1e-40f];
        var rounded = (float[])values.Clone();
        BFloat16.Round(rounded);
        for (int i = 0; i < values.Length; i++)
            Assert.Equal(BFloat16.FromBits(BFloat16.ToBits(values[i])), rounded[i]);
        Assert.Equal(1f, BFloat16.Round(1.00390625f)); // 1 + 2^-8: a tie, down to even
    }

    private static float F(uint bits) => BitConverter.UInt32BitsToSingle(bits);
}
