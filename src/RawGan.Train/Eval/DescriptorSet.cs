using System.Runtime.Intrinsics;

namespace RawGan.Eval;

/// <summary>
/// One side of an SWD comparison: images [Start, Start + Count) of a <see cref="PyramidPatches"/>,
/// with, per level, the mean and standard deviation of each colour channel over all the set's
/// descriptors (ProGAN's finalize_descriptors: np.mean and np.std over axes 0, 2, 3). Descriptors
/// are gathered normalised: 147 floats, channel-major (c, y, x), one row per patch.
/// </summary>
public sealed class DescriptorSet
{
    /// <summary>Values in one descriptor: 7·7·3.</summary>
    public const int Length = PyramidPatches.PatchSize * PyramidPatches.PatchSize * PyramidPatches.Channels;

    /// <summary>Floats between gathered rows: Length rounded up to whole 8-wide vectors.</summary>
    public const int RowStride = (Length + 7) / 8 * 8;

    const int K = PyramidPatches.PatchSize;
    const int C = PyramidPatches.Channels;

    readonly float[][] mean;
    readonly float[][] inverseStd;

    public DescriptorSet(PyramidPatches source, int start, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        if (start + count > source.Count)
            throw new ArgumentOutOfRangeException(nameof(count), count, $"images {start}..{start + count - 1} of {source.Count}");
        Source = source;
        Start = start;
        Count = count;
        int levelCount = source.LevelSizes.Length;
        mean = new float[levelCount][];
        inverseStd = new float[levelCount][];
        for (int l = 0; l < levelCount; l++) (mean[l], inverseStd[l]) = ChannelStatistics(l);
    }

    public PyramidPatches Source { get; }
    public int Start { get; }
    public int Count { get; }

    /// <summary>Descriptors per level: 128 per image.</summary>
    public int Descriptors => Count * PyramidPatches.PatchesPerImage;

    /// <summary>
    /// Writes image <paramref name="image"/>'s 128 normalised descriptors at <paramref name="level"/> as rows
    /// of <see cref="RowStride"/> floats (only the first 147 of each are meaningful).
    /// </summary>
    public void Gather(int level, int image, Span<float> rows)
    {
        int size = Source.LevelSizes[level];
        int plane = size * size;
        var offsets = Source.PatchOffsets(level, Start + image);
        var data = Source.Level(level).Slice((Start + image) * Source.ImageFloats(level));
        if (rows.Length < offsets.Length * RowStride) throw new ArgumentException($"rows need {offsets.Length * RowStride} floats", nameof(rows));
        var levelMean = mean[level];
        var levelScale = inverseStd[level];
        for (int p = 0; p < offsets.Length; p++)
        {
            var row = rows.Slice(p * RowStride, RowStride);
            for (int c = 0; c < C; c++)
            {
                var m = Vector256.Create(levelMean[c]);
                var s = Vector256.Create(levelScale[c]);
                int origin = c * plane + offsets[p];
                // 8 wide reads and writes; each write's 8th value is overwritten by the next one
                // (or lands in the row's padding), and the 8th value read stays inside the level's padding.
                for (int y = 0; y < K; y++)
                    ((Vector256.Create(data.Slice(origin + y * size, 8)) - m) * s).CopyTo(row.Slice((c * K + y) * K, 8));
            }
        }
    }

    (float[] Mean, float[] InverseStd) ChannelStatistics(int level)
    {
        int size = Source.LevelSizes[level];
        int plane = size * size;
        var perImage = new double[Count * 2 * C];
        var lanes = Vector256.Create(-1, -1, -1, -1, -1, -1, -1, 0).AsSingle();
        // Per image in parallel, then summed in image order: the same result on any number of threads.
        Parallel.For(0, Count, image =>
        {
            var offsets = Source.PatchOffsets(level, Start + image);
            var pixels = Source.Level(level).Slice((Start + image) * Source.ImageFloats(level));
            for (int c = 0; c < C; c++)
            {
                double sum = 0, squares = 0;
                foreach (int offset in offsets)
                {
                    var s = Vector256<float>.Zero;
                    var q = Vector256<float>.Zero;
                    for (int y = 0; y < K; y++)
                    {
                        var v = Vector256.Create(pixels.Slice(c * plane + offset + y * size, 8)) & lanes;
                        s += v;
                        q += v * v;
                    }
                    sum += Vector256.Sum(s);
                    squares += Vector256.Sum(q);
                }
                perImage[(image * C + c) * 2] = sum;
                perImage[(image * C + c) * 2 + 1] = squares;
            }
        });
        var means = new float[C];
        var inverse = new float[C];
        double n = (double)Count * PyramidPatches.PatchesPerImage * K * K;
        for (int c = 0; c < C; c++)
        {
            double sum = 0, squares = 0;
            for (int image = 0; image < Count; image++)
            {
                sum += perImage[(image * C + c) * 2];
                squares += perImage[(image * C + c) * 2 + 1];
            }
            double m = sum / n;
            double variance = Math.Max(0, squares / n - m * m);
            // A channel with no variation at all (the detail levels of flat images) would divide by
            // zero in ProGAN's code; its centred descriptors are all zero, so any scale keeps them so.
            double std = variance > 1e-12 ? Math.Sqrt(variance) : 1;
            means[c] = (float)m;
            inverse[c] = (float)(1 / std);
        }
        return (means, inverse);
    }
}
