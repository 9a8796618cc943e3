namespace RawGan.Data;

/// <summary>
/// A fixed set of square 8-bit RGB images, <see cref="Size"/>×<see cref="Size"/>×3, HWC.
/// Implementations are safe to read from several threads at once.
/// </summary>
public interface IImageDataset
{
    int Count { get; }
    int Size { get; }

    /// <summary>Copies image <paramref name="index"/> into <paramref name="rgbHwc"/> (Size*Size*3 bytes).</summary>
    void GetImage(int index, Span<byte> rgbHwc);
}
