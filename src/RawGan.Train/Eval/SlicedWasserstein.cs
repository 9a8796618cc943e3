using RawGan.Data;

namespace RawGan.Eval;

/// <summary>
/// ProGAN's sliced Wasserstein distance between sets of patch descriptors (Karras et al. 2018,
/// reference code tkarras/progressive_growing_of_gans, metrics/sliced_wasserstein.py,
/// sliced_wasserstein and API.end): per level, 4 repeats of 128 random unit directions in the
/// 147-dimensional descriptor space; both sets are projected onto each direction, each projection
/// sorted, and the mean |difference| of the sorted values averaged over directions and repeats,
/// then multiplied by 10³.
/// <para>
/// Sets share the directions (drawn from the seed per level and repeat), so several comparisons
/// against one set (a fake set and a real baseline against the same real half) project and sort
/// that set once. Directions are processed in chunks sized to keep the projections of all sets
/// under <see cref="ColumnBudgetBytes"/>; descriptors are gathered afresh for every chunk.
/// </para>
/// </summary>
public static unsafe class SlicedWasserstein
{
    public const int Repeats = 4;
    public const int DirectionsPerRepeat = 128;
    public const int Directions = Repeats * DirectionsPerRepeat;

    /// <summary>ProGAN reports SWD ×10³.</summary>
    public const double Scale = 1e3;

    /// <summary>Projection columns of all sets for one chunk of directions stay under this.</summary>
    public const long ColumnBudgetBytes = 768L << 20;

    const long DirectionStream = 0x5_3744; // keeps direction seeds apart from patch seeds

    /// <summary>
    /// SWD ×10³ for each pair of sets (indices into <paramref name="sets"/>), per level:
    /// result[pair][level]. Both sets of a pair must hold the same number of images.
    /// <paramref name="progress"/> hears the fraction done.
    /// </summary>
    public static double[][] Distances(IReadOnlyList<DescriptorSet> sets, IReadOnlyList<(int A, int B)> pairs, ulong seed,
        IProgress<double>? progress = null, CancellationToken cancel = default)
    {
        if (sets.Count == 0 || pairs.Count == 0) throw new ArgumentException("need at least one pair of sets");
        var levelSizes = sets[0].Source.LevelSizes;
        foreach (var set in sets)
            if (!set.Source.LevelSizes.SequenceEqual(levelSizes))
                throw new ArgumentException($"sets of {levelSizes[0]}x{levelSizes[0]} and {set.Source.Size}x{set.Source.Size} images cannot be compared");
        foreach (var (a, b) in pairs)
            if (sets[a].Count != sets[b].Count)
                throw new ArgumentException($"SWD compares sets of equal size; got {sets[a].Count} and {sets[b].Count} images");

        long keysPerDirection = sets.Sum(s => (long)s.Descriptors);
        int chunk = DirectionsPerRepeat;
        while (chunk > Projection.Block && chunk * keysPerDirection * sizeof(uint) > ColumnBudgetBytes) chunk /= 2;
        var columns = sets.Select(s => new uint[(long)chunk * Stride(s.Descriptors)]).ToArray();
        int workers = Math.Max(1, Environment.ProcessorCount);
        var scratch = Enumerable.Range(0, workers).Select(_ => new WorkerScratch(sets, chunk)).ToArray();

        int levels = levelSizes.Length;
        var sums = new double[pairs.Count, levels, Directions];
        int steps = levels * (Directions / chunk), step = 0;
        for (int level = 0; level < levels; level++)
        {
            var directions = DrawDirections(seed, level);
            var block = new float[DescriptorSet.Length * chunk];
            for (int first = 0; first < Directions; first += chunk)
            {
                for (int k = 0; k < DescriptorSet.Length; k++)
                    for (int j = 0; j < chunk; j++)
                        block[k * chunk + j] = directions[first + j][k];

                for (int s = 0; s < sets.Count; s++)
                {
                    var set = sets[s];
                    var keys = columns[s];
                    int m = set.Descriptors, lvl = level;
                    ForEach(set.Count, workers, cancel, (w, image) =>
                    {
                        var work = scratch[w];
                        set.Gather(lvl, image, work.Rows);
                        Projection.Run(work.Rows, PyramidPatches.PatchesPerImage, DescriptorSet.RowStride, DescriptorSet.Length,
                            block, chunk, work.Projected);
                        WriteKeys(work.Projected, chunk, keys, Stride(m), image * PyramidPatches.PatchesPerImage);
                    });
                }

                int firstDirection = first, lvlSort = level;
                ForEach(chunk, workers, cancel, (w, j) =>
                {
                    var work = scratch[w];
                    var sorted = new Memory<uint>[sets.Count];
                    for (int s = 0; s < sets.Count; s++)
                    {
                        int m = sets[s].Descriptors;
                        var column = columns[s].AsMemory(j * Stride(m), m);
                        var result = SortedKeys.Sort(column.Span, work.Keys[s], work.Counts);
                        sorted[s] = result == column.Span ? column : work.Keys[s].AsMemory(0, m);
                    }
                    for (int p = 0; p < pairs.Count; p++)
                        sums[p, lvlSort, firstDirection + j] = SortedKeys.AbsoluteDifferenceSum(sorted[pairs[p].A].Span, sorted[pairs[p].B].Span);
                });
                progress?.Report((double)++step / steps);
            }
        }

        var result = new double[pairs.Count][];
        for (int p = 0; p < pairs.Count; p++)
        {
            result[p] = new double[levels];
            double count = (double)sets[pairs[p].A].Descriptors * Directions;
            for (int level = 0; level < levels; level++)
            {
                double total = 0;
                for (int d = 0; d < Directions; d++) total += sums[p, level, d];
                result[p][level] = total / count * Scale;
            }
        }
        return result;
    }

    /// <summary>
    /// The 512 unit directions of one level, as ProGAN draws them per repeat: 147 standard normals
    /// each (Box-Muller in double), divided by their norm, then rounded to float.
    /// </summary>
    public static float[][] DrawDirections(ulong seed, int level)
    {
        var directions = new float[Directions][];
        var normals = new double[DescriptorSet.Length];
        for (int repeat = 0; repeat < Repeats; repeat++)
        {
            var rng = new SplitMix64(SplitMix64.Seed((long)SplitMix64.Seed((long)seed, DirectionStream), level, repeat));
            for (int j = 0; j < DirectionsPerRepeat; j++)
            {
                for (int k = 0; k < normals.Length; k += 2)
                {
                    double u1 = ((rng.NextUInt64() >> 11) + 1) * (1.0 / (1UL << 53));
                    double u2 = (rng.NextUInt64() >> 11) * (1.0 / (1UL << 53));
                    double radius = Math.Sqrt(-2 * Math.Log(u1));
                    normals[k] = radius * Math.Cos(2 * Math.PI * u2);
                    if (k + 1 < normals.Length) normals[k + 1] = radius * Math.Sin(2 * Math.PI * u2);
                }
                double norm = Math.Sqrt(normals.Sum(v => v * v));
                directions[repeat * DirectionsPerRepeat + j] = normals.Select(v => (float)(v / norm)).ToArray();
            }
        }
        return directions;
    }

    /// <summary>Runs body(worker, item) for every item on up to <paramref name="workers"/> threads; a worker's
    /// buffers are never used by two threads at once. Items go to whichever worker is free.</summary>
    /// <summary>Keys from one column to the next: one cache line more than a column holds, so the 32
    /// columns an image writes to do not all fall in the same cache sets (m is 128 · images: a power
    /// of two at the usual counts).</summary>
    static int Stride(int m) => m + 16;

    /// <summary>One image's projections (128 rows of chunk) into its place in each of the chunk columns, as keys.</summary>
    static void WriteKeys(float[] projected, int chunk, uint[] columns, int stride, int offset)
    {
        const int patches = PyramidPatches.PatchesPerImage;
        fixed (float* p = projected)
        fixed (uint* c = columns)
            for (int j = 0; j < chunk; j++)
            {
                uint* column = c + (long)j * stride + offset;
                for (int r = 0; r < patches; r++) column[r] = SortedKeys.ToKey(p[r * chunk + j]);
            }
    }

    static void ForEach(int items, int workers, CancellationToken cancel, Action<int, int> body)
    {
        int next = -1;
        Parallel.For(0, Math.Min(workers, items), new ParallelOptions { CancellationToken = cancel }, w =>
        {
            for (int item; (item = Interlocked.Increment(ref next)) < items;)
            {
                cancel.ThrowIfCancellationRequested();
                body(w, item);
            }
        });
    }

    sealed class WorkerScratch(IReadOnlyList<DescriptorSet> sets, int chunk)
    {
        public readonly float[] Rows = new float[PyramidPatches.PatchesPerImage * DescriptorSet.RowStride];
        public readonly float[] Projected = new float[PyramidPatches.PatchesPerImage * chunk];
        public readonly uint[][] Keys = [.. sets.Select(s => new uint[s.Descriptors])];
        public readonly int[] Counts = new int[SortedKeys.CountsLength];
    }
}
