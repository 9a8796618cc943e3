namespace RawGan.Data;

/// <summary>
/// RawGan's built-in data set: procedural cartoon faces (skin tones, hair styles, eyes, brows,
/// nose, mouth expressions, glasses, beards, slight pose), so a fresh checkout trains with no
/// download. Image i depends only on (seed, i); the set is rendered once, in parallel, into the
/// same packed HWC bytes a folder's cache holds.
/// </summary>
public sealed class SyntheticFaces : IImageDataset
{
    public const int DefaultCount = 4096;

    readonly byte[] pixels;
    readonly int imageBytes;

    public SyntheticFaces(int count = DefaultCount, int size = 64, int seed = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        Count = count;
        Size = size;
        Seed = seed;
        imageBytes = size * size * 3;
        pixels = new byte[(long)count * imageBytes];
        Parallel.For(0, count, i => Render(seed, i, size, pixels.AsSpan(i * imageBytes, imageBytes)));
    }

    public int Count { get; }
    public int Size { get; }
    public int Seed { get; }

    public void GetImage(int index, Span<byte> rgbHwc)
    {
        if ((uint)index >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(index), index, $"data set has {Count} images");
        pixels.AsSpan(index * imageBytes, imageBytes).CopyTo(rgbHwc);
    }

    /// <summary>Draws face <paramref name="index"/> of the set <paramref name="seed"/> into size*size*3 bytes.</summary>
    public static void Render(int seed, int index, int size, Span<byte> rgbHwc)
    {
        var rng = new SplitMix64(SplitMix64.Seed(seed, index));
        FacePainter.Paint(FaceTraits.Draw(ref rng), size, rgbHwc);
    }
}
