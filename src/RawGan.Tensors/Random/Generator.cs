namespace RawGan;

/// <summary>
/// A seeded random stream: each draw reserves its elements' Philox counters and moves the offset
/// past them, so the same seed gives the same tensors on every backend, and (Seed, Offset) is the
/// whole state a checkpoint needs to resume the stream exactly.
/// </summary>
public sealed class Generator(ulong seed, ulong offset = 0)
{
    public ulong Seed { get; } = seed;
    public ulong Offset { get; private set; } = offset;

    /// <summary>Reserves counters for n elements and returns where the draw starts.</summary>
    public (ulong Seed, ulong Offset) Reserve(long n)
    {
        var start = Offset;
        Offset += Philox.BlocksFor(n);
        return (Seed, start);
    }

    /// <summary>Restores a saved state (the offset of a checkpointed stream).</summary>
    public void SetOffset(ulong offset) => Offset = offset;
}
