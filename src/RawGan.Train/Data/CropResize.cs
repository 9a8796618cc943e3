using System.Buffers;
using RawGan.Images;

namespace RawGan.Data;

/// <summary>
/// Centre crop to a square, then resize to size×size. Downscaling averages the source area each
/// output pixel covers (a box filter with fractional edge weights), so no detail aliases into
/// moiré; upscaling is bilinear with pixel centres at +0.5, like PIL and torchvision.
/// Separable: rows first into a float buffer, then columns.
/// </summary>
internal static class CropResize
{
    /// <summary>
    /// <paramref name="crop"/> ≤ 0 takes the largest centred square; a crop larger than the image
    /// is clamped to it. Writes size*size*3 bytes, HWC.
    /// </summary>
    public static void Apply(RgbImage source, int crop, int size, Span<byte> destination)
    {
        int side = Math.Min(source.Width, source.Height);
        if (crop > 0) side = Math.Min(side, crop);
        int left = (source.Width - side) / 2;
        int top = (source.Height - side) / 2;
        var taps = Taps.Build(side, size);

        // Horizontal pass over the rows of the crop box: side rows × size columns. Rented: at
        // 128 px it is a large-object allocation per image, which would churn gen-2 collections.
        var rows = ArrayPool<float>.Shared.Rent(side * size * 3);
        var pixels = source.Pixels;
        for (int y = 0; y < side; y++)
        {
            int sourceRow = ((top + y) * source.Width + left) * 3;
            int targetRow = y * size * 3;
            for (int x = 0; x < size; x++)
            {
                float r = 0, g = 0, b = 0;
                int start = taps.Start[x];
                for (int k = 0; k < taps.Count[x]; k++)
                {
                    float w = taps.Weights[x * taps.Stride + k];
                    int p = sourceRow + (start + k) * 3;
                    r += w * pixels[p];
                    g += w * pixels[p + 1];
                    b += w * pixels[p + 2];
                }
                int t = targetRow + x * 3;
                rows[t] = r;
                rows[t + 1] = g;
                rows[t + 2] = b;
            }
        }

        // Vertical pass: each output row is a weighted sum of whole buffer rows.
        int rowLength = size * 3;
        var sum = new float[rowLength];
        for (int y = 0; y < size; y++)
        {
            Array.Clear(sum);
            int start = taps.Start[y];
            for (int k = 0; k < taps.Count[y]; k++)
            {
                float w = taps.Weights[y * taps.Stride + k];
                var row = rows.AsSpan((start + k) * rowLength, rowLength);
                for (int i = 0; i < rowLength; i++) sum[i] += w * row[i];
            }
            var target = destination.Slice(y * rowLength, rowLength);
            for (int i = 0; i < rowLength; i++)
                target[i] = (byte)Math.Clamp((int)(sum[i] + 0.5f), 0, 255);
        }

        ArrayPool<float>.Shared.Return(rows);
    }

    /// <summary>For each output index: the first source index and the weights of the source
    /// pixels from there on. The weights of one output sum to 1.</summary>
    sealed class Taps
    {
        public required int[] Start;
        public required int[] Count;
        public required float[] Weights;
        public required int Stride;

        public static Taps Build(int from, int to)
        {
            double scale = (double)from / to;
            int stride = scale > 1 ? (int)Math.Ceiling(scale) + 1 : 2;
            var taps = new Taps { Start = new int[to], Count = new int[to], Weights = new float[to * stride], Stride = stride };
            for (int o = 0; o < to; o++)
            {
                if (scale > 1) Area(taps, o, scale, from);
                else Bilinear(taps, o, scale, from);
            }
            return taps;
        }

        // Output o covers source [o*scale, (o+1)*scale); each source pixel weighs its overlap.
        // Rounding can push the last end a hair past the source, hence the clamp.
        static void Area(Taps taps, int o, double scale, int from)
        {
            double begin = o * scale, end = (o + 1) * scale;
            int first = (int)Math.Floor(begin);
            int last = Math.Min((int)Math.Ceiling(end), from) - 1;
            taps.Start[o] = first;
            int count = 0;
            for (int j = first; j <= last; j++)
            {
                double overlap = Math.Min(end, j + 1) - Math.Max(begin, j);
                if (overlap <= 1e-9) continue;
                taps.Weights[o * taps.Stride + (j - first)] = (float)(overlap / scale);
                count = j - first + 1;
            }
            taps.Count[o] = count;
        }

        // Same-size copies land exactly on source centres (fraction 0), so scale 1 is the identity.
        static void Bilinear(Taps taps, int o, double scale, int from)
        {
            double centre = Math.Clamp((o + 0.5) * scale - 0.5, 0, from - 1);
            int first = Math.Min((int)centre, Math.Max(from - 2, 0));
            float fraction = (float)(centre - first);
            taps.Start[o] = first;
            taps.Count[o] = from == 1 ? 1 : 2;
            taps.Weights[o * taps.Stride] = 1 - fraction;
            if (from > 1) taps.Weights[o * taps.Stride + 1] = fraction;
        }
    }
}
