namespace RawGan.Images;

/// <summary>
/// Turns a batch of float NCHW images into PNGs: one grid like torchvision's
/// make_grid + save_image (<c>nrow</c> images per row, black padding), or one file per image.
/// </summary>
public static class ImageGrid
{
    /// <summary>Lays <paramref name="count"/> images out in rows of <paramref name="nrow"/>.
    /// One-channel images are shown grey; three channels are RGB.</summary>
    public static RgbImage Compose(ReadOnlySpan<float> nchw, int count, int channels, int height, int width,
        PixelRange range, int nrow = 8, int padding = 2)
    {
        CheckShape(nchw, count, channels, height, width);
        ArgumentOutOfRangeException.ThrowIfLessThan(nrow, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(padding);
        int columns = Math.Min(nrow, count);
        int rows = (count + columns - 1) / columns;
        int gridWidth = columns * (width + padding) + padding;
        int gridHeight = rows * (height + padding) + padding;
        var pixels = new byte[gridWidth * gridHeight * 3];
        for (int i = 0; i < count; i++)
        {
            int left = padding + i % columns * (width + padding);
            int top = padding + i / columns * (height + padding);
            WriteImage(nchw, i, channels, height, width, range, pixels, gridWidth, left, top);
        }
        return new RgbImage(gridWidth, gridHeight, pixels);
    }

    public static void Save(string path, ReadOnlySpan<float> nchw, int count, int channels, int height, int width,
        PixelRange range, int nrow = 8, int padding = 2)
        => Compose(nchw, count, channels, height, width, range, nrow, padding).Save(path);

    /// <summary>Writes each image to <c>directory/NNNNNN.png</c>, numbered from
    /// <paramref name="firstNumber"/>, so repeated calls can continue a sequence.</summary>
    public static void SaveEach(string directory, ReadOnlySpan<float> nchw, int count, int channels, int height, int width,
        PixelRange range, int firstNumber = 0)
    {
        CheckShape(nchw, count, channels, height, width);
        for (int i = 0; i < count; i++)
        {
            var pixels = new byte[width * height * 3];
            WriteImage(nchw, i, channels, height, width, range, pixels, width, 0, 0);
            new RgbImage(width, height, pixels).Save(Path.Combine(directory, $"{firstNumber + i:D6}.png"));
        }
    }

    static void WriteImage(ReadOnlySpan<float> nchw, int index, int channels, int height, int width,
        PixelRange range, byte[] target, int targetWidth, int left, int top)
    {
        int plane = height * width;
        var image = nchw.Slice(index * channels * plane, channels * plane);
        for (int y = 0; y < height; y++)
        {
            int row = ((top + y) * targetWidth + left) * 3;
            for (int x = 0; x < width; x++)
            {
                int source = y * width + x;
                int dest = row + x * 3;
                for (int c = 0; c < 3; c++)
                    target[dest + c] = range.ToByte(image[(channels == 1 ? 0 : c) * plane + source]);
            }
        }
    }

    static void CheckShape(ReadOnlySpan<float> nchw, int count, int channels, int height, int width)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        if (channels is not (1 or 3))
            throw new ArgumentOutOfRangeException(nameof(channels), channels, "images need 1 (grey) or 3 (RGB) channels");
        long needed = (long)count * channels * height * width;
        if (nchw.Length < needed)
            throw new ArgumentException($"{count}x{channels}x{height}x{width} images need {needed} floats, got {nchw.Length}", nameof(nchw));
    }
}
