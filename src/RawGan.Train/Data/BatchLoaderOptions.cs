using RawGan.Images;

namespace RawGan.Data;

public sealed record BatchLoaderOptions
{
    public int BatchSize { get; init; } = 128;

    /// <summary>The shuffle of each epoch (and each flip) depends only on Seed and the epoch.</summary>
    public int Seed { get; init; }

    /// <summary>Pixel values 0..255 map linearly onto this range.</summary>
    public PixelRange Range { get; init; } = PixelRange.MinusOneToOne;

    /// <summary>Mirror a random half of the images left-right.</summary>
    public bool HorizontalFlip { get; init; }

    /// <summary>How many batches may be prepared ahead of the trainer.</summary>
    public int Prefetch { get; init; } = 4;

    /// <summary>Background threads preparing batches; null: half the cores, 1 to 4, leaving the rest to training.</summary>
    public int? Workers { get; init; }
}
