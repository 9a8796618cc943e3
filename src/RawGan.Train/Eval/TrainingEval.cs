using RawGan.Data;
using RawGan.Recipes;

namespace RawGan.Eval;

/// <summary>
/// `--eval-every N`: every N steps, the SWD of the current generator against the training data on
/// a small set (<see cref="DefaultCount"/> images a side: the same training images and the same
/// latent vectors every time, so the curve follows the generator alone). The values join that
/// step's metrics.jsonl line (swd_64, ..., swd_avg) and a panel of monitor.png. The real side's
/// pyramids are built once. Uses its own random streams: training continues exactly as without it.
/// </summary>
public sealed class TrainingEval
{
    public const int DefaultCount = 1024;

    const long RealStream = 0xE7A1, LatentStream = 0xE7A2, FakePatchStream = 0xE7A3, RealPatchStream = 0xE7A4;

    readonly DescriptorSet real;
    readonly ulong seed;
    double[] last;

    public TrainingEval(IImageDataset data, int every, ulong seed, int count = DefaultCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(every, 1);
        Every = every;
        this.seed = seed;
        Names = SwdScores.Names(data.Size);
        int n = Math.Min(count, data.Count);
        var order = Evaluation.Permutation(data.Count, SplitMix64.Seed((long)seed, RealStream))[..n];
        real = new DescriptorSet(new PyramidPatches(data, order, SplitMix64.Seed((long)seed, RealPatchStream)), 0, n);
        last = [.. Names.Select(_ => double.NaN)];
    }

    public int Every { get; }

    /// <summary>The metric names: swd_RES per level, then swd_avg.</summary>
    public IReadOnlyList<string> Names { get; }

    public IReadOnlyList<(string Title, string[] Series)> Panels => [("sliced Wasserstein distance x1e3 (vs training data)", [.. Names])];

    /// <summary>SWD ×10³ of the recipe's generator per level, then their mean, in <see cref="Names"/> order.</summary>
    public double[] Measure(IGanRecipe recipe)
    {
        var images = ImageBuffer.Generate(recipe, real.Count, new Generator(SplitMix64.Seed((long)seed, LatentStream)));
        var fake = new DescriptorSet(new PyramidPatches(images, [.. Enumerable.Range(0, images.Count)], SplitMix64.Seed((long)seed, FakePatchStream)), 0, images.Count);
        var levels = SlicedWasserstein.Distances([real, fake], [(0, 1)], seed)[0];
        return [.. levels, levels.Average()];
    }

    /// <summary>Whether <paramref name="step"/> is measured (the trainer waits for that step's state first).</summary>
    public bool Due(long step) => step % Every == 0;

    /// <summary>
    /// Called once per step: on every <see cref="Every"/>th step measures and returns the fields for
    /// the metrics line (none on other steps), and appends to each SWD series of
    /// <paramref name="history"/> the latest value measured, so monitor.png draws a continuous line.
    /// </summary>
    public IReadOnlyList<(string Name, double Value)> AfterStep(long step, IGanRecipe recipe, IDictionary<string, List<double>> history)
    {
        bool due = Due(step);
        if (due) last = Measure(recipe);
        for (int i = 0; i < Names.Count; i++) history[Names[i]].Add(last[i]);
        return due ? [.. Names.Zip(last)] : [];
    }

    /// <summary>For a resumed run's history read back from metrics.jsonl: carries each measured value
    /// forward over the steps between measurements, and remembers the latest.</summary>
    public void FillGaps(IDictionary<string, List<double>> history)
    {
        for (int i = 0; i < Names.Count; i++)
        {
            var series = history[Names[i]];
            for (int s = 1; s < series.Count; s++)
                if (double.IsNaN(series[s])) series[s] = series[s - 1];
            if (series.Count > 0) last[i] = series[^1];
        }
    }
}
