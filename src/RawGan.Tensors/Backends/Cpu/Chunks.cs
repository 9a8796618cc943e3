namespace RawGan.Backends.Cpu;

/// <summary>
/// Splits [0, count) into at most one contiguous chunk per core. The split depends only on count
/// and the core count, never on scheduling, so per-chunk partial sums (the conv filter gradient)
/// are added in the same order on every run.
/// </summary>
internal static class Chunks
{
    /// <summary>Below this many multiply-adds (or element visits) a task costs more than it saves.</summary>
    private const long ParallelWork = 1 << 16;

    public static int CountFor(int count, long work) =>
        work < ParallelWork ? Math.Min(count, 1) : Math.Min(count, Environment.ProcessorCount);

    /// <summary>body(chunk, start, end) for chunk in [0, chunks); chunks as from <see cref="CountFor"/>.
    /// (A name of its own: as an overload of <see cref="Run"/> it caught int work counts, which ran
    /// batch norm as one task per element.)</summary>
    public static void RunInChunks(int count, int chunks, Action<int, int, int> body)
    {
        if (chunks <= 1)
        {
            if (count > 0) body(0, 0, count);
            return;
        }
        Parallel.For(0, chunks, c => body(c, (int)((long)c * count / chunks), (int)((long)(c + 1) * count / chunks)));
    }

    /// <summary>As <see cref="RunInChunks"/> with the chunk count from <see cref="CountFor"/>: work is the
    /// number of multiply-adds or element visits in all of [0, count).</summary>
    public static void Run(int count, long work, Action<int, int, int> body) => RunInChunks(count, CountFor(count, work), body);
}
