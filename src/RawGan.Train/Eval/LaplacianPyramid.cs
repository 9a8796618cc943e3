using System.Numerics;

namespace RawGan.Eval;

/// <summary>
/// The Laplacian pyramid of ProGAN's sliced Wasserstein distance (Karras et al. 2018; reference code
/// tkarras/progressive_growing_of_gans, metrics/sliced_wasserstein.py: pyr_down, pyr_up,
/// generate_laplacian_pyramid). A Gaussian pyramid is built by blurring with the 5x5 binomial
/// filter [1,4,6,4,1]ᵀ[1,4,6,4,1]/256 and keeping every second row and column; each level but the
/// coarsest then becomes itself minus the upsampled next level (zeros inserted between samples,
/// the same filter ×4). Borders are mirrored without repeating the edge sample (scipy.ndimage's
/// mode='mirror': d c b | a b c d | c b a), the zero-inserted image included. The filter is
/// separable, so both passes run as two 1-D passes of [1,4,6,4,1]/16 (down) or /8 (up).
/// Levels are float planes, channel-major (CHW), in the 0..255 scale of the uint8 input.
/// </summary>
public static class LaplacianPyramid
{
    /// <summary>The smallest level: ProGAN keeps halving while the resolution is at least 16.</summary>
    public const int MinimumSize = 16;

    const int Channels = 3;

    /// <summary>The 1-D binomial taps [1,4,6,4,1]/16 of pyr_down; the 2-D filter is their outer product.</summary>
    public static ReadOnlySpan<float> Binomial => [1 / 16f, 4 / 16f, 6 / 16f, 4 / 16f, 1 / 16f];

    /// <summary>Resolutions of the levels for images of <paramref name="size"/>: 64 gives 64, 32, 16.
    /// Every level but the last must halve evenly.</summary>
    public static int[] LevelSizes(int size)
    {
        if (size < MinimumSize)
            throw new ArgumentOutOfRangeException(nameof(size), size, $"the pyramid needs images of at least {MinimumSize}x{MinimumSize}");
        var sizes = new List<int>();
        for (int res = size; res >= MinimumSize; res /= 2)
        {
            if (sizes.Count > 0 && sizes[^1] % 2 != 0)
                throw new ArgumentOutOfRangeException(nameof(size), size,
                    $"{size}x{size} images do not halve evenly down to {MinimumSize}..{2 * MinimumSize - 1} (use 16, 32, 64, 128, ...)");
            sizes.Add(res);
        }
        return [.. sizes];
    }

    /// <summary>Floats of working space <see cref="Build"/> needs for images of <paramref name="size"/>.</summary>
    public static int ScratchFloats(int size) => 2 * size * size;

    /// <summary>
    /// Builds the Laplacian pyramid of one uint8 RGB HWC image into <paramref name="levels"/>: one
    /// buffer per level, 3·s·s floats each (CHW). <paramref name="scratch"/> holds <see cref="ScratchFloats"/>(size) floats.
    /// </summary>
    public static void Build(ReadOnlySpan<byte> rgbHwc, int size, IReadOnlyList<Memory<float>> levels, Span<float> scratch)
    {
        var sizes = LevelSizes(size);
        if (levels.Count != sizes.Length) throw new ArgumentException($"{size}x{size} images have {sizes.Length} levels, got {levels.Count} buffers", nameof(levels));
        if (rgbHwc.Length < Channels * size * size) throw new ArgumentException($"a {size}x{size} RGB image has {Channels * size * size} bytes, got {rgbHwc.Length}", nameof(rgbHwc));
        if (scratch.Length < ScratchFloats(size)) throw new ArgumentException($"scratch needs {ScratchFloats(size)} floats, got {scratch.Length}", nameof(scratch));

        // Level 0 starts as the image itself (float32, as np.float32(minibatch)).
        var top = levels[0].Span;
        int plane = size * size;
        for (int p = 0; p < plane; p++)
            for (int c = 0; c < Channels; c++)
                top[c * plane + p] = rgbHwc[p * Channels + c];

        // Gaussian level i is computed from Gaussian level i-1 before level i-1 is turned into detail.
        for (int i = 1; i < sizes.Length; i++)
        {
            int big = sizes[i - 1], small = sizes[i];
            var fine = levels[i - 1].Span;
            var coarse = levels[i].Span;
            var upsampled = scratch[..(big * big)];
            var rows = scratch.Slice(big * big, small * big);
            for (int c = 0; c < Channels; c++)
            {
                var finePlane = fine.Slice(c * big * big, big * big);
                Down(finePlane, big, coarse.Slice(c * small * small, small * small), rows);
                Up(coarse.Slice(c * small * small, small * small), small, upsampled, scratch.Slice(big * big + small * big, big * small));
                Subtract(finePlane, upsampled);
            }
        }
    }

    /// <summary>pyr_down of one size×size plane into (size/2)²: blur, keep even rows and columns.
    /// <paramref name="rows"/> holds (size/2)·size floats.</summary>
    public static void Down(ReadOnlySpan<float> source, int size, Span<float> target, Span<float> rows)
    {
        int half = size / 2;
        // Vertical first, only at the rows kept; whole rows at a time, so it vectorises.
        for (int y = 0; y < half; y++)
        {
            var row = rows.Slice(y * size, size);
            row.Clear();
            for (int t = 0; t < 5; t++)
                AddScaled(row, source.Slice(Mirror(2 * y + t - 2, size) * size, size), Binomial[t]);
        }
        // Horizontal at the kept columns.
        for (int y = 0; y < half; y++)
        {
            var row = rows.Slice(y * size, size);
            var output = target.Slice(y * half, half);
            for (int x = 0; x < half; x++)
            {
                int centre = 2 * x;
                if (centre >= 2 && centre + 2 < size)
                    output[x] = Binomial[0] * row[centre - 2] + Binomial[1] * row[centre - 1] + Binomial[2] * row[centre]
                              + Binomial[3] * row[centre + 1] + Binomial[4] * row[centre + 2];
                else
                {
                    float sum = 0;
                    for (int t = 0; t < 5; t++) sum += Binomial[t] * row[Mirror(centre + t - 2, size)];
                    output[x] = sum;
                }
            }
        }
    }

    /// <summary>pyr_up of one size×size plane into (2·size)²: zeros between samples, then the filter ×4,
    /// mirrored at the borders of the zero-inserted plane. <paramref name="rows"/> holds 2·size·size floats.</summary>
    public static void Up(ReadOnlySpan<float> source, int size, Span<float> target, Span<float> rows)
    {
        int big = 2 * size;
        // Vertical: output row y sums the taps that land on even (non-zero) rows of the zero-inserted plane.
        for (int y = 0; y < big; y++)
        {
            var row = rows.Slice(y * size, size);
            row.Clear();
            for (int t = 0; t < 5; t++)
            {
                int q = Mirror(y + t - 2, big);
                if (q % 2 == 0) AddScaled(row, source.Slice(q / 2 * size, size), 2 * Binomial[t]);
            }
        }
        // Horizontal, the same rule along each row.
        for (int y = 0; y < big; y++)
        {
            var row = rows.Slice(y * size, size);
            var output = target.Slice(y * big, big);
            for (int x = 0; x < big; x++)
            {
                int j = x / 2;
                if (x >= 2 && x + 2 < big)
                    output[x] = x % 2 == 0
                        ? 2 * Binomial[0] * row[j - 1] + 2 * Binomial[2] * row[j] + 2 * Binomial[4] * row[j + 1]
                        : 2 * Binomial[1] * row[j] + 2 * Binomial[3] * row[j + 1];
                else
                {
                    float sum = 0;
                    for (int t = 0; t < 5; t++)
                    {
                        int q = Mirror(x + t - 2, big);
                        if (q % 2 == 0) sum += 2 * Binomial[t] * row[q / 2];
                    }
                    output[x] = sum;
                }
            }
        }
    }

    /// <summary>scipy.ndimage's 'mirror' extension: reflect about the edge samples, which are not repeated.</summary>
    public static int Mirror(int index, int length)
    {
        if (index < 0) return -index;
        if (index >= length) return 2 * (length - 1) - index;
        return index;
    }

    static void AddScaled(Span<float> target, ReadOnlySpan<float> source, float weight)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var w = new Vector<float>(weight);
            for (; i <= target.Length - Vector<float>.Count; i += Vector<float>.Count)
                (new Vector<float>(target[i..]) + w * new Vector<float>(source[i..])).CopyTo(target[i..]);
        }
        for (; i < target.Length; i++) target[i] += weight * source[i];
    }

    static void Subtract(Span<float> target, ReadOnlySpan<float> source)
    {
        int i = 0;
        if (Vector.IsHardwareAccelerated)
            for (; i <= target.Length - Vector<float>.Count; i += Vector<float>.Count)
                (new Vector<float>(target[i..]) - new Vector<float>(source[i..])).CopyTo(target[i..]);
        for (; i < target.Length; i++) target[i] -= source[i];
    }
}
