using RawGan.Data;

namespace RawGan.Eval;

/// <summary>
/// The Laplacian pyramids of a list of images, kept in memory (one float array per level, images
/// one after another, CHW), and where each image's 128 random 7x7 patches lie at each level:
/// centres uniform in [3, s-4] on both axes, as ProGAN's get_descriptors_for_minibatch
/// (np.random.randint(H, S - H) with H = 3). Descriptors are gathered from here when they are
/// projected, so a set of 16,384 64x64 images needs 1 GB (the pyramids), not the 3.7 GB its
/// descriptors would. Patch positions depend only on (seed, image number, level).
/// </summary>
public sealed class PyramidPatches
{
    public const int PatchesPerImage = 128;
    public const int PatchSize = 7;
    public const int Channels = 3;

    /// <summary>Floats after each level's last image, so a patch row can be read as one 8-wide vector.</summary>
    internal const int Padding = 8;

    readonly float[][] levels;
    readonly int[][] patchOffsets;

    /// <summary>Builds the pyramids of <paramref name="indices"/> of <paramref name="data"/>, in parallel.
    /// <paramref name="progress"/> hears the number of images done.</summary>
    public PyramidPatches(IImageDataset data, IReadOnlyList<int> indices, ulong seed,
        IProgress<int>? progress = null, CancellationToken cancel = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(indices.Count, 1);
        Size = data.Size;
        Count = indices.Count;
        LevelSizes = LaplacianPyramid.LevelSizes(Size);
        levels = new float[LevelSizes.Length][];
        patchOffsets = new int[LevelSizes.Length][];
        for (int l = 0; l < LevelSizes.Length; l++)
        {
            long floats = (long)Count * ImageFloats(l) + Padding;
            if (floats > Array.MaxLength)
                throw new ArgumentOutOfRangeException(nameof(indices), Count, $"{Count} images of {Size}x{Size} are too many for one set; use fewer");
            levels[l] = new float[floats];
            patchOffsets[l] = new int[Count * PatchesPerImage];
        }

        int done = 0;
        var scratch = new ThreadLocal<(byte[] Image, float[] Work)>(
            () => (new byte[Size * Size * Channels], new float[LaplacianPyramid.ScratchFloats(Size)]));
        Parallel.For(0, Count, new ParallelOptions { CancellationToken = cancel }, i =>
        {
            var (image, work) = scratch.Value;
            data.GetImage(indices[i], image);
            var buffers = new Memory<float>[LevelSizes.Length];
            for (int l = 0; l < LevelSizes.Length; l++)
                buffers[l] = new Memory<float>(levels[l], i * ImageFloats(l), ImageFloats(l));
            LaplacianPyramid.Build(image, Size, buffers, work);
            for (int l = 0; l < LevelSizes.Length; l++)
                DrawPatches(seed, i, l, LevelSizes[l], patchOffsets[l].AsSpan(i * PatchesPerImage, PatchesPerImage));
            int now = Interlocked.Increment(ref done);
            if (now % 64 == 0 || now == Count) progress?.Report(now);
        });
        scratch.Dispose();
    }

    public int Count { get; }
    public int Size { get; }

    /// <summary>Resolution of each level, finest first (64, 32, 16 for 64x64 images).</summary>
    public int[] LevelSizes { get; }

    /// <summary>Floats of one image at one level: 3·s².</summary>
    public int ImageFloats(int level) => Channels * LevelSizes[level] * LevelSizes[level];

    /// <summary>All images' planes at <paramref name="level"/>, plus <see cref="Padding"/> floats.</summary>
    internal ReadOnlySpan<float> Level(int level) => levels[level];

    /// <summary>Where image <paramref name="image"/>'s patches start inside its plane at <paramref name="level"/>:
    /// the offset of each patch's top-left sample, (y-3)·s + (x-3) for centre (x, y).</summary>
    internal ReadOnlySpan<int> PatchOffsets(int level, int image) =>
        patchOffsets[level].AsSpan(image * PatchesPerImage, PatchesPerImage);

    static void DrawPatches(ulong seed, int image, int level, int size, Span<int> offsets)
    {
        const int half = PatchSize / 2;
        var rng = new SplitMix64(SplitMix64.Seed((long)seed, image, level));
        for (int p = 0; p < offsets.Length; p++)
        {
            // ProGAN draws x, then y; both uniform in [half, size - half).
            int x = half + rng.NextInt(size - 2 * half);
            int y = half + rng.NextInt(size - 2 * half);
            offsets[p] = (y - half) * size + (x - half);
        }
    }
}
