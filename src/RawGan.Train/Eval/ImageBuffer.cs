using RawGan.Data;
using RawGan.Recipes;

namespace RawGan.Eval;

/// <summary>Square uint8 RGB HWC images held in memory: a generator's samples, ready for evaluation.</summary>
public sealed class ImageBuffer : IImageDataset
{
    /// <summary>Images per generator call: bounds the activations a CPU forward pass holds.</summary>
    public const int GenerateBatch = 128;

    readonly byte[] pixels;
    readonly int imageBytes;

    public ImageBuffer(int count, int size)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        Count = count;
        Size = size;
        imageBytes = size * size * 3;
        pixels = new byte[(long)count * imageBytes];
    }

    public int Count { get; }
    public int Size { get; }

    public void GetImage(int index, Span<byte> rgbHwc) => Image(index).CopyTo(rgbHwc);

    public Span<byte> Image(int index)
    {
        if ((uint)index >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(index), index, $"buffer holds {Count} images");
        return pixels.AsSpan(index * imageBytes, imageBytes);
    }

    /// <summary>
    /// <paramref name="count"/> images from the recipe's generator, latents drawn from
    /// <paramref name="generator"/> in batches of <see cref="GenerateBatch"/>, mapped from the recipe's
    /// pixel range to bytes as the sample PNGs are (so a folder of `rawgan sample --each` images
    /// holds the same bytes). Grey images become RGB.
    /// <paramref name="progress"/> hears the number of images done.
    /// </summary>
    public static ImageBuffer Generate(IGanRecipe recipe, int count, Generator generator,
        IProgress<int>? progress = null, CancellationToken cancel = default)
    {
        ImageBuffer? buffer = null;
        for (int done = 0; done < count; done += GenerateBatch)
        {
            cancel.ThrowIfCancellationRequested();
            int n = Math.Min(GenerateBatch, count - done);
            using var scope = new TensorScope();
            var images = recipe.Generate(recipe.SampleLatent(n, generator));
            var (channels, height, width) = (images.Shape[1], images.Shape[2], images.Shape[3]);
            if (height != width || channels is not (1 or 3))
                throw new ArgumentException($"the generator makes {channels}x{height}x{width} images; evaluation needs square RGB or grey ones");
            buffer ??= new ImageBuffer(count, width);
            var values = images.ToFloatArray();
            int plane = height * width;
            for (int i = 0; i < n; i++)
            {
                var target = buffer.Image(done + i);
                var source = values.AsSpan(i * channels * plane, channels * plane);
                for (int p = 0; p < plane; p++)
                    for (int c = 0; c < 3; c++)
                        target[p * 3 + c] = recipe.DataRange.ToByte(source[(channels == 1 ? 0 : c) * plane + p]);
            }
            progress?.Report(done + n);
        }
        return buffer ?? throw new ArgumentOutOfRangeException(nameof(count), count, "count must be positive");
    }
}
