using RawGan.Images;
using Xunit;

namespace RawGan.Tests;

public sealed class ImageTests : IDisposable
{
    readonly string root = Path.Combine(Path.GetTempPath(), $"rawgan-image-tests-{Guid.NewGuid():N}");

    public ImageTests() => Directory.CreateDirectory(root);

    public void Dispose() => Directory.Delete(root, recursive: true);

    /// <summary>Image i is constant: channel c holds value(i, c).</summary>
    static float[] Constant(int count, int channels, int height, int width, Func<int, int, float> value)
    {
        var data = new float[count * channels * height * width];
        for (int i = 0; i < count; i++)
            for (int c = 0; c < channels; c++)
                data.AsSpan((i * channels + c) * height * width, height * width).Fill(value(i, c));
        return data;
    }

    static (byte, byte, byte) Pixel(RgbImage image, int x, int y)
    {
        int o = (y * image.Width + x) * 3;
        return (image.Pixels[o], image.Pixels[o + 1], image.Pixels[o + 2]);
    }

    [Fact]
    public void Grid_SavedPng_HasMakeGridDimensionsAndPlacement()
    {
        // 10 images of 8x6 in rows of 4: 3 rows, 2-px padding as torchvision's make_grid.
        var data = Constant(10, 3, 8, 6, (i, c) => i == 9 ? (c == 0 ? 1f : -1f) : 0f);
        string path = Path.Combine(root, "grid.png");

        ImageGrid.Save(path, data, 10, 3, 8, 6, PixelRange.MinusOneToOne, nrow: 4);

        var grid = RgbImage.Read(path);
        Assert.Equal(4 * (6 + 2) + 2, grid.Width);
        Assert.Equal(3 * (8 + 2) + 2, grid.Height);
        Assert.Equal((0, 0, 0), Pixel(grid, 0, 0));           // padding is black
        Assert.Equal((128, 128, 128), Pixel(grid, 2, 2));     // image 0: value 0 is mid-grey
        Assert.Equal((255, 0, 0), Pixel(grid, 2 + 8, 2 + 2 * 10)); // image 9: row 2, column 1, red
        Assert.Equal((0, 0, 0), Pixel(grid, grid.Width - 3, grid.Height - 3)); // empty cells stay black
    }

    [Fact]
    public void Grid_FewerImagesThanNrow_IsOneRowWide()
    {
        var grid = ImageGrid.Compose(Constant(3, 3, 4, 4, (_, _) => 0f), 3, 3, 4, 4, PixelRange.MinusOneToOne, nrow: 8);
        Assert.Equal((3 * 6 + 2, 6 + 2), (grid.Width, grid.Height));
    }

    [Fact]
    public void Grid_OneChannel_IsShownGrey()
    {
        var grid = ImageGrid.Compose(Constant(1, 1, 4, 4, (_, _) => 0.25f), 1, 1, 4, 4, PixelRange.ZeroToOne, padding: 0);
        Assert.Equal((64, 64, 64), Pixel(grid, 1, 1));
    }

    [Fact]
    public void Grid_TooLittleData_Throws()
        => Assert.Throws<ArgumentException>(() => ImageGrid.Compose(new float[10], 1, 3, 4, 4, PixelRange.MinusOneToOne));

    [Fact]
    public void SaveEach_WritesNumberedPngs()
    {
        var data = Constant(3, 3, 5, 7, (i, _) => i / 2f);
        string directory = Path.Combine(root, "each");

        ImageGrid.SaveEach(directory, data, 3, 3, 5, 7, PixelRange.ZeroToOne, firstNumber: 10);

        Assert.Equal(["000010.png", "000011.png", "000012.png"], Directory.GetFiles(directory).Select(Path.GetFileName).Order());
        var last = RgbImage.Read(Path.Combine(directory, "000012.png"));
        Assert.Equal((7, 5), (last.Width, last.Height));
        Assert.Equal((255, 255, 255), Pixel(last, 3, 2));
    }

    [Fact]
    public void PixelRange_ByteRoundTrip_IsExact()
    {
        foreach (var range in new[] { PixelRange.MinusOneToOne, PixelRange.MinusHalfToHalf, PixelRange.ZeroToOne })
            for (int b = 0; b < 256; b++)
                Assert.Equal(b, range.ToByte(range.FromByte((byte)b)));
    }

    [Fact]
    public void PixelRange_ToByte_ClampsAndShowsNaNBlack()
    {
        var range = PixelRange.MinusOneToOne;
        Assert.Equal(0, range.ToByte(-3f));
        Assert.Equal(255, range.ToByte(7f));
        Assert.Equal(0, range.ToByte(float.NaN));
        Assert.Equal(255, range.ToByte(float.PositiveInfinity));
    }

    [Fact]
    public void RgbImage_PngRoundTrip_KeepsPixels()
    {
        var pixels = new byte[5 * 3 * 3];
        new Random(1).NextBytes(pixels);
        string path = Path.Combine(root, "round.png");

        new RgbImage(5, 3, pixels).Save(path);

        var read = RgbImage.Read(path);
        Assert.Equal((5, 3), (read.Width, read.Height));
        Assert.Equal(pixels, read.Pixels);
    }
}
