namespace RawGan.Backends.Cpu;

/// <summary>
/// How one conv call cuts its batch: the images are split into fixed chunks run in parallel (see
/// <see cref="Chunks"/>), and each chunk is walked in blocks of up to <see cref="Images"/> images whose column
/// matrices sit side by side, [K, Images * L], so that one GEMM per block and group has enough columns to fill
/// the GEMM's micro-tiles and column blocks; per image, at L = 16 or 64, it would not.
/// </summary>
internal readonly struct ConvBlocks
{
    /// <summary>
    /// Columns a block aims for. Measured on DCGAN-32's convs (batch 64, 2 cores, tools/GemmBench --conv): 256 and
    /// 512 run alike, at about 300 GFLOP/s; 2048, with 4-8 MiB column matrices per core, was 15-35 % slower in one
    /// of two runs and level in the other. The smaller buffers decide.
    /// </summary>
    private const int TargetColumns = 256;

    /// <summary>Bound on a block's column matrix, K * Images * L elements (16 MiB of float), per chunk.</summary>
    private const int MaxColumnElements = 1 << 22;

    public ConvBlocks(in ConvGeometry g)
    {
        Chunks = Cpu.Chunks.CountFor(g.N, g.Work);
        int perChunk = Chunks == 0 ? 1 : (g.N + Chunks - 1) / Chunks;
        int wanted = (TargetColumns + g.L - 1) / Math.Max(1, g.L);
        int fitting = MaxColumnElements / Math.Max(1, g.K * g.L);
        Images = Math.Max(1, Math.Min(wanted, Math.Min(perChunk, fitting)));
        GemmThreads = Math.Max(1, Environment.ProcessorCount / Math.Max(1, Chunks));
    }

    /// <summary>Chunks of images run in parallel; 0 for an empty batch.</summary>
    public int Chunks { get; }

    /// <summary>Images per GEMM.</summary>
    public int Images { get; }

    /// <summary>Threads each GEMM may use: the cores the chunks leave idle (all of them when there is one chunk).</summary>
    public int GemmThreads { get; }
}
