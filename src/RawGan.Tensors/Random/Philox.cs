using System.Runtime.CompilerServices;

namespace RawGan;

/// <summary>
/// Philox 4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC 2011), the
/// counter-based generator of cuRAND and PyTorch's CUDA RNG. Element i of a draw at (seed, offset)
/// is word i % 4 of Philox(counter = offset + i / 4, key = seed), so any element can be computed
/// independently: the CPU reference here and kernels/philox.cuh produce the same stream.
/// </summary>
public static class Philox
{
    private const uint M0 = 0xD2511F53, M1 = 0xCD9E8D57, W0 = 0x9E3779B9, W1 = 0xBB67AE85;

    /// <summary>The 4 words for one 128-bit counter (c0..c3) and 64-bit key (k0, k1).</summary>
    public static (uint, uint, uint, uint) Block(uint c0, uint c1, uint c2, uint c3, uint k0, uint k1)
    {
        for (int round = 0; round < 10; round++)
        {
            if (round > 0) { k0 += W0; k1 += W1; }
            ulong p0 = (ulong)M0 * c0, p1 = (ulong)M1 * c2;
            (c0, c1, c2, c3) = ((uint)(p1 >> 32) ^ c1 ^ k0, (uint)p1, (uint)(p0 >> 32) ^ c3 ^ k1, (uint)p0);
        }
        return (c0, c1, c2, c3);
    }

    /// <summary>The block used for elements 4b..4b+3 of a draw at (seed, offset).</summary>
    public static (uint, uint, uint, uint) StreamBlock(ulong seed, ulong offset, long block)
    {
        ulong counter = offset + (ulong)block;
        return Block((uint)counter, (uint)(counter >> 32), 0, 0, (uint)seed, (uint)(seed >> 32));
    }

    /// <summary>A 32-bit word as a uniform in (0, 1): the top 24 bits, centred, exact in float32.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static float Uniform(uint word) => ((word >> 8) + 0.5f) * (1.0f / 16777216.0f);

    /// <summary>Fills values with the uniform stream at (seed, offset).</summary>
    public static void FillUniform(Span<float> values, ulong seed, ulong offset)
    {
        for (int b = 0; b * 4 < values.Length; b++)
        {
            var (w0, w1, w2, w3) = StreamBlock(seed, offset, b);
            Span<uint> words = [w0, w1, w2, w3];
            for (int lane = 0; lane < 4 && b * 4 + lane < values.Length; lane++)
                values[b * 4 + lane] = Uniform(words[lane]);
        }
    }

    /// <summary>Standard normals by Box-Muller on word pairs (0, 1) and (2, 3) of each block: lanes 0
    /// and 2 take the cosine, 1 and 3 the sine. Single precision, as the CUDA kernel computes it.</summary>
    public static void FillNormal(Span<float> values, ulong seed, ulong offset)
    {
        for (int b = 0; b * 4 < values.Length; b++)
        {
            var (w0, w1, w2, w3) = StreamBlock(seed, offset, b);
            var (n0, n1) = BoxMuller(w0, w1);
            var (n2, n3) = BoxMuller(w2, w3);
            Span<float> normals = [n0, n1, n2, n3];
            for (int lane = 0; lane < 4 && b * 4 + lane < values.Length; lane++)
                values[b * 4 + lane] = normals[lane];
        }
    }

    private static (float, float) BoxMuller(uint a, uint b)
    {
        float r = MathF.Sqrt(-2.0f * MathF.Log(Uniform(a)));
        float theta = 2.0f * MathF.PI * Uniform(b);
        return (r * MathF.Cos(theta), r * MathF.Sin(theta));
    }

    /// <summary>Blocks a draw of n elements uses: the generator advances its offset by this.</summary>
    public static ulong BlocksFor(long n) => (ulong)((n + 3) / 4);
}
