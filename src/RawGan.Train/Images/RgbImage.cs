using StbImageSharp;

namespace RawGan.Images;

/// <summary>An 8-bit RGB image, rows top to bottom, pixels interleaved (HWC).</summary>
public sealed class RgbImage
{
    public RgbImage(int width, int height, byte[] pixels)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        if (pixels.Length != width * height * 3)
            throw new ArgumentException($"expected {width}x{height}x3 = {width * height * 3} bytes, got {pixels.Length}", nameof(pixels));
        Width = width;
        Height = height;
        Pixels = pixels;
    }

    public int Width { get; }
    public int Height { get; }
    public byte[] Pixels { get; }

    /// <summary>Reads a PNG, JPEG or BMP file; grey and RGBA become RGB.</summary>
    public static RgbImage Read(string path)
    {
        var result = ImageResult.FromMemory(File.ReadAllBytes(path), StbImageSharp.ColorComponents.RedGreenBlue);
        return new RgbImage(result.Width, result.Height, result.Data);
    }

    /// <summary>Writes a PNG, JPEG or BMP file, by the path's extension (<see cref="ImageFile"/>).</summary>
    public void Save(string path) => ImageFile.Write(path, Pixels, Width, Height, StbImageWriteSharp.ColorComponents.RedGreenBlue);
}
