using System.Runtime.Intrinsics;
using RawGan.Data;
using RawGan.Images;

namespace RawGan.Eval;

/// <summary>The nearest reference images of one query image, closest first.</summary>
/// <param name="Query">The query's index in its data set.</param>
/// <param name="Neighbours">Indices in the reference set.</param>
/// <param name="Distances">RMS pixel distances in [0, 1].</param>
public sealed record NearestMatch(int Query, int[] Neighbours, double[] Distances);

/// <summary>
/// Memorisation check: for a few generated images, the nearest training images by pixel distance,
/// and a grid (generated | nearest, next nearest, ...) that shows whether a model copies its data.
/// Exhaustive search in integer arithmetic; ties go to the lower index, so results are deterministic.
/// </summary>
public static class NearestNeighbours
{
    /// <summary>The <paramref name="k"/> nearest images of <paramref name="references"/> to each query.
    /// With <paramref name="excludeSelf"/> (queries drawn from the references themselves), a query
    /// never matches the reference of its own index.</summary>
    public static NearestMatch[] Find(IImageDataset queries, IReadOnlyList<int> queryIndices, IImageDataset references,
        int k, bool excludeSelf = false, CancellationToken cancel = default)
    {
        if (queries.Size != references.Size) throw new ArgumentException($"{queries.Size}x{queries.Size} queries against {references.Size}x{references.Size} references");
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        int bytes = queries.Size * queries.Size * 3;
        var queryPixels = new byte[queryIndices.Count][];
        for (int q = 0; q < queryPixels.Length; q++)
        {
            queryPixels[q] = new byte[bytes];
            queries.GetImage(queryIndices[q], queryPixels[q]);
        }

        // Each worker keeps its own best k per query over the references it saw; merged at the end.
        var partials = new List<List<(long Distance, int Index)>[]>();
        var gate = new Lock();
        Parallel.For(0, references.Count, new ParallelOptions { CancellationToken = cancel },
            () => (Image: new byte[bytes], Best: queryPixels.Select(_ => new List<(long, int)>(k + 1)).ToArray()),
            (r, _, local) =>
            {
                references.GetImage(r, local.Image);
                for (int q = 0; q < queryPixels.Length; q++)
                {
                    if (excludeSelf && queryIndices[q] == r) continue;
                    Insert(local.Best[q], (SquaredDistance(queryPixels[q], local.Image), r), k);
                }
                return local;
            },
            local => { lock (gate) partials.Add(local.Best); });

        var matches = new NearestMatch[queryPixels.Length];
        for (int q = 0; q < matches.Length; q++)
        {
            var best = partials.SelectMany(p => p[q]).OrderBy(c => c.Distance).ThenBy(c => c.Index).Take(k).ToArray();
            matches[q] = new NearestMatch(queryIndices[q], [.. best.Select(c => c.Index)],
                [.. best.Select(c => Math.Sqrt((double)c.Distance / bytes) / 255)]);
        }
        return matches;
    }

    /// <summary>Writes one row per match: the query image, then its neighbours, closest first.</summary>
    public static RgbImage Grid(IImageDataset queries, IImageDataset references, IReadOnlyList<NearestMatch> matches)
    {
        int size = queries.Size, k = matches.Max(m => m.Neighbours.Length);
        int plane = size * size, columns = k + 1;
        var nchw = new float[matches.Count * columns * 3 * plane];
        var pixels = new byte[plane * 3];
        for (int row = 0; row < matches.Count; row++)
        {
            for (int column = 0; column < columns; column++)
            {
                if (column == 0) queries.GetImage(matches[row].Query, pixels);
                else if (column - 1 < matches[row].Neighbours.Length) references.GetImage(matches[row].Neighbours[column - 1], pixels);
                else pixels.AsSpan().Clear();
                var image = nchw.AsSpan((row * columns + column) * 3 * plane, 3 * plane);
                for (int p = 0; p < plane; p++)
                    for (int c = 0; c < 3; c++)
                        image[c * plane + p] = pixels[p * 3 + c] / 255f;
            }
        }
        return ImageGrid.Compose(nchw, matches.Count * columns, 3, size, size, PixelRange.ZeroToOne, nrow: columns);
    }

    /// <summary>Σ (a_i - b_i)² over two byte images.</summary>
    public static long SquaredDistance(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        long total = 0;
        int i = 0;
        // A block of up to 4096 bytes sums at most 4096·255² < 2³¹ per 8 int lanes: no overflow.
        while (i + Vector256<byte>.Count <= a.Length)
        {
            var sum = Vector256<int>.Zero;
            int end = Math.Min(a.Length, i + 4096);
            for (; i + Vector256<byte>.Count <= end; i += Vector256<byte>.Count)
            {
                var (a0, a1) = Vector256.Widen(Vector256.Create(a.Slice(i, Vector256<byte>.Count)));
                var (b0, b1) = Vector256.Widen(Vector256.Create(b.Slice(i, Vector256<byte>.Count)));
                var d0 = a0.AsInt16() - b0.AsInt16();
                var d1 = a1.AsInt16() - b1.AsInt16();
                var (d00, d01) = Vector256.Widen(d0);
                var (d10, d11) = Vector256.Widen(d1);
                sum += d00 * d00 + d01 * d01 + d10 * d10 + d11 * d11;
            }
            total += Vector256.Sum(sum);
        }
        for (; i < a.Length; i++) total += (a[i] - b[i]) * (a[i] - b[i]);
        return total;
    }

    static void Insert(List<(long Distance, int Index)> best, (long Distance, int Index) candidate, int k)
    {
        if (best.Count == k && !Before(candidate, best[^1])) return;
        int at = best.Count;
        while (at > 0 && Before(candidate, best[at - 1])) at--;
        best.Insert(at, candidate);
        if (best.Count > k) best.RemoveAt(best.Count - 1);
    }

    static bool Before((long Distance, int Index) a, (long Distance, int Index) b) =>
        a.Distance < b.Distance || (a.Distance == b.Distance && a.Index < b.Index);
}
