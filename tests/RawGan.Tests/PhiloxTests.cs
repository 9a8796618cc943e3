namespace RawGan.Tests;

public class PhiloxTests
{
    // Known-answer vectors of Random123's kat_vectors for philox4x32 with 10 rounds.
    [Theory]
    [InlineData(0u, 0u, 0u, 0u, 0u, 0u, 0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u)]
    [InlineData(0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu, 0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu)]
    [InlineData(0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u, 0xa4093822u, 0x299f31d0u, 0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u)]
    public void Block_MatchesRandom123KnownAnswers(uint c0, uint c1, uint c2, uint c3, uint k0, uint k1, uint r0, uint r1, uint r2, uint r3)
    {
        Assert.Equal((r0, r1, r2, r3), Philox.Block(c0, c1, c2, c3, k0, k1));
    }

    [Fact]
    public void Randn_IsDeterministicPerSeed_AndStandardNormal()
    {
        var a = Tensor.Randn([100_000], new Generator(7)).ToDoubleArray();
        var b = Tensor.Randn([100_000], new Generator(7)).ToDoubleArray();
        Assert.Equal(a, b);
        double mean = a.Average(), var = a.Select(v => (v - mean) * (v - mean)).Average();
        Assert.InRange(mean, -0.01, 0.01);
        Assert.InRange(var, 0.98, 1.02);
    }

    [Fact]
    public void Generator_Advances_SoConsecutiveDrawsDiffer_AndOffsetResumesTheStream()
    {
        var g = new Generator(3);
        var first = Tensor.Rand([10], g).ToFloatArray();
        var second = Tensor.Rand([10], g).ToFloatArray();
        Assert.NotEqual(first, second);
        var resumed = Tensor.Rand([10], new Generator(3, offset: Philox.BlocksFor(10))).ToFloatArray();
        Assert.Equal(second, resumed);
        Assert.All(first, v => Assert.InRange(v, 0f, 1f));
    }
}
