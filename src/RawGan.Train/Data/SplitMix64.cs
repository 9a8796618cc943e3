namespace RawGan.Data;

/// <summary>
/// A tiny deterministic random generator (Steele et al., SplitMix64). Shuffles, flips and synthetic
/// faces are derived from it so they are identical on every machine and .NET version,
/// which System.Random does not promise.
/// </summary>
internal struct SplitMix64(ulong seed)
{
    ulong state = seed;

    /// <summary>Combines several integers into one well-mixed seed (e.g. seed, epoch, index).</summary>
    public static ulong Seed(long a, long b = 0, long c = 0) => Mix(Mix(Mix((ulong)a) ^ (ulong)b) ^ (ulong)c);

    public ulong NextUInt64()
    {
        ulong value = Mix(state);
        state += Golden;
        return value;
    }

    const ulong Golden = 0x9E3779B97F4A7C15UL;

    static ulong Mix(ulong z)
    {
        z += Golden;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, n): Lemire's multiply-high, bias below 2^-32 for any n a data set reaches.</summary>
    public int NextInt(int n) => (int)((NextUInt64() >> 32) * (ulong)n >> 32);

    /// <summary>Uniform in [0, 1) from the top 24 bits, exactly representable as a float.</summary>
    public float NextFloat() => (NextUInt64() >> 40) * (1f / (1 << 24));

    public float Range(float low, float high) => low + (high - low) * NextFloat();

    public bool Chance(float probability) => NextFloat() < probability;
}
