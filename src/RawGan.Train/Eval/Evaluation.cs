using RawGan.Data;

namespace RawGan.Eval;

public sealed record EvalOptions
{
    /// <summary>Images per side; ProGAN's protocol uses 16,384 where the sets have them.</summary>
    public int Count { get; init; } = 16384;

    /// <summary>Seeds which images are used, the patches and the directions.</summary>
    public ulong Seed { get; init; }

    /// <summary>Generated images whose nearest training images are looked up (0: none).</summary>
    public int NearestSamples { get; init; } = 8;

    /// <summary>Training images shown per generated one.</summary>
    public int Neighbours { get; init; } = 3;
}

/// <summary>SWD ×10³ per level (finest first) and their mean.</summary>
public sealed record SwdScores(int[] Resolutions, double[] Levels)
{
    public double Average => Levels.Average();

    /// <summary>swd_64, swd_32, swd_16, swd_avg (named by level resolution).</summary>
    public IEnumerable<(string Name, double Value)> Fields() =>
        Resolutions.Zip(Levels, (r, v) => ($"swd_{r}", v)).Append(("swd_avg", Average));

    public static IReadOnlyList<string> Names(int size) =>
        [.. LaplacianPyramid.LevelSizes(size).Select(r => $"swd_{r}"), "swd_avg"];
}

/// <param name="Count">Images per side of the real-vs-generated comparison.</param>
/// <param name="BaselineCount">Images per side of the real-vs-real baseline (two disjoint real sets).</param>
/// <param name="Nearest">Generated images and their nearest training images.</param>
/// <param name="NearestReal">Real images and their nearest other real images: how close "close" is in this data.</param>
public sealed record EvalReport(int Size, int RealImages, int FakeImages, int Count, SwdScores Fake,
    int BaselineCount, SwdScores Baseline, DiversityScore Diversity, NearestMatch[] Nearest, NearestMatch[] NearestReal);

/// <summary>A stage of <see cref="Evaluation.Run"/> and how far it is.</summary>
public readonly record struct EvalProgress(string Stage, double Fraction);

/// <summary>
/// The evaluation protocol of `rawgan eval`: the sliced Wasserstein distance of n real against n
/// generated images (n = 16,384 or as many as both sets hold), beside the same distance between
/// two disjoint real sets (n each when the real set holds 2n images, else half of it each), the
/// diversity of both, and the nearest training images of a few generated ones.
/// </summary>
public static class Evaluation
{
    public static EvalReport Run(IImageDataset real, IImageDataset fake, EvalOptions options,
        IProgress<EvalProgress>? progress = null, CancellationToken cancel = default)
    {
        if (real.Size != fake.Size)
            throw new ArgumentException($"real images are {real.Size}x{real.Size} but generated ones {fake.Size}x{fake.Size}");
        if (real.Count < 2) throw new ArgumentException("the real set needs at least 2 images (one per baseline half)");
        if (Math.Min(options.Count, fake.Count) < 2)
            throw new ArgumentException("evaluation needs at least 2 generated images (diversity is a mean distance between pairs)");
        LaplacianPyramid.LevelSizes(real.Size);

        int n = Math.Min(options.Count, Math.Min(real.Count, fake.Count));
        int half = Math.Min(n, real.Count / 2);
        var realOrder = Permutation(real.Count, SplitMix64.Seed((long)options.Seed, 1));
        var fakeOrder = Permutation(fake.Count, SplitMix64.Seed((long)options.Seed, 2));

        var realPyramids = new PyramidPatches(real, realOrder[..Math.Max(n, 2 * half)], SplitMix64.Seed((long)options.Seed, 3),
            Images(progress, "real pyramids", Math.Max(n, 2 * half)), cancel);
        var fakePyramids = new PyramidPatches(fake, fakeOrder[..n], SplitMix64.Seed((long)options.Seed, 4),
            Images(progress, "generated pyramids", n), cancel);

        // The baseline shares the first real set when the real images suffice for two of n.
        var sets = new List<DescriptorSet> { new(realPyramids, 0, n), new(fakePyramids, 0, n) };
        var pairs = new List<(int, int)> { (0, 1) };
        if (half == n)
        {
            sets.Add(new DescriptorSet(realPyramids, n, n));
            pairs.Add((0, 2));
        }
        else
        {
            sets.Add(new DescriptorSet(realPyramids, 0, half));
            sets.Add(new DescriptorSet(realPyramids, half, half));
            pairs.Add((2, 3));
        }
        var distances = SlicedWasserstein.Distances(sets, pairs, options.Seed,
            progress is null ? null : new SyncProgress<double>(f => progress.Report(new("sliced Wasserstein", f))), cancel);
        var resolutions = realPyramids.LevelSizes;

        progress?.Report(new("diversity", 0));
        var diversity = Diversity.Compare(fake, fakeOrder[..n], real, realOrder[..n]);
        progress?.Report(new("diversity", 1));

        NearestMatch[] nearest = [], nearestReal = [];
        if (options.NearestSamples > 0)
        {
            progress?.Report(new("nearest images", 0));
            int samples = Math.Min(options.NearestSamples, n);
            int k = Math.Min(options.Neighbours, real.Count - 1);
            nearest = NearestNeighbours.Find(fake, fakeOrder[..samples], real, k, cancel: cancel);
            progress?.Report(new("nearest images", 0.5));
            nearestReal = NearestNeighbours.Find(real, realOrder[..Math.Min(samples, real.Count)], real, k, excludeSelf: true, cancel: cancel);
            progress?.Report(new("nearest images", 1));
        }

        return new EvalReport(real.Size, real.Count, fake.Count, n, new SwdScores(resolutions, distances[0]),
            half, new SwdScores(resolutions, distances[1]), diversity, nearest, nearestReal);
    }

    /// <summary>0..count-1 shuffled (Fisher-Yates) by <paramref name="seed"/>.</summary>
    public static int[] Permutation(int count, ulong seed)
    {
        var order = Enumerable.Range(0, count).ToArray();
        var rng = new SplitMix64(seed);
        for (int i = count - 1; i > 0; i--)
        {
            int j = rng.NextInt(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }

    static SyncProgress<int>? Images(IProgress<EvalProgress>? progress, string stage, int total) =>
        progress is null ? null : new SyncProgress<int>(done => progress.Report(new(stage, (double)done / total)));

    /// <summary>Reports on the calling thread, one report at a time (Progress&lt;T&gt; would post to the pool).</summary>
    internal sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
    {
        readonly Lock gate = new();

        public void Report(T value)
        {
            lock (gate) report(value);
        }
    }
}
