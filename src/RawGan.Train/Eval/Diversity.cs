using RawGan.Data;

namespace RawGan.Eval;

/// <summary>How varied the generated images are next to the real ones, and whether they collapsed.</summary>
/// <param name="Fake">RMS pixel distance between two generated images, over all pairs, in [0, 1].</param>
/// <param name="Real">The same over the real images.</param>
public sealed record DiversityScore(double Fake, double Real)
{
    /// <summary>Generated over real diversity; near 1 for a healthy model.</summary>
    public double Ratio => Real > 0 ? Fake / Real : double.NaN;

    /// <summary>Generated images vary less than <see cref="Diversity.CollapseRatio"/> of the real ones.</summary>
    public bool Collapsed => Ratio < Diversity.CollapseRatio;
}

/// <summary>
/// Mean pairwise distance within a set of images, exactly and over all pairs in one pass: the mean
/// squared distance between two distinct images of n is 2n/(n-1) times the summed per-pixel
/// variance, so the root mean square pairwise distance per pixel is sqrt(2n/(n-1) · mean variance),
/// here divided by 255. Sums are kept in integers, so the result does not depend on thread count.
/// </summary>
public static class Diversity
{
    /// <summary>Generated diversity below this fraction of the real one flags mode collapse.</summary>
    public const double CollapseRatio = 0.5;

    public static DiversityScore Compare(IImageDataset fake, IReadOnlyList<int> fakeIndices,
        IImageDataset real, IReadOnlyList<int> realIndices) =>
        new(Measure(fake, fakeIndices), Measure(real, realIndices));

    /// <summary>RMS distance between two of the images, per pixel, in [0, 1]; 0 for fewer than two.</summary>
    public static double Measure(IImageDataset data, IReadOnlyList<int> indices)
    {
        int n = indices.Count;
        if (n < 2) return 0;
        int pixels = data.Size * data.Size * 3;
        var sums = new long[pixels];
        var squares = new long[pixels];
        var gate = new Lock();
        Parallel.For(0, n,
            () => (Image: new byte[pixels], Sums: new long[pixels], Squares: new long[pixels]),
            (i, _, local) =>
            {
                data.GetImage(indices[i], local.Image);
                for (int p = 0; p < pixels; p++)
                {
                    int v = local.Image[p];
                    local.Sums[p] += v;
                    local.Squares[p] += v * v;
                }
                return local;
            },
            local =>
            {
                lock (gate)
                    for (int p = 0; p < pixels; p++)
                    {
                        sums[p] += local.Sums[p];
                        squares[p] += local.Squares[p];
                    }
            });
        double variance = 0;
        for (int p = 0; p < pixels; p++)
        {
            double mean = (double)sums[p] / n;
            variance += (double)squares[p] / n - mean * mean;
        }
        variance /= pixels;
        return Math.Sqrt(Math.Max(0, 2.0 * n / (n - 1) * variance)) / 255;
    }
}
