namespace RawGan.Images;

/// <summary>
/// The float interval that pixel values 0..255 map onto, as models see them
/// (DCGAN's tanh output is [-1, 1]; some recipes use [-0.5, 0.5]).
/// </summary>
public readonly record struct PixelRange(float Low, float High)
{
    public static PixelRange MinusOneToOne => new(-1f, 1f);
    public static PixelRange MinusHalfToHalf => new(-0.5f, 0.5f);
    public static PixelRange ZeroToOne => new(0f, 1f);

    public float FromByte(byte value) => Low + value * (High - Low) / 255f;

    /// <summary>FromByte of each byte value 0..255: the table <see cref="Tensor.FromUInt8"/> takes.</summary>
    public float[] ByteValues()
    {
        var values = new float[256];
        for (int b = 0; b < 256; b++) values[b] = FromByte((byte)b);
        return values;
    }

    /// <summary>An RGB image, bytes in HWC order, as float planes in CHW order (one image of an NCHW batch).</summary>
    public void ToPlanes(ReadOnlySpan<byte> rgbHwc, Span<float> chw)
    {
        int plane = rgbHwc.Length / 3;
        for (int p = 0; p < plane; p++)
            for (int c = 0; c < 3; c++)
                chw[c * plane + p] = FromByte(rgbHwc[p * 3 + c]);
    }

    /// <summary>Clamps, then rounds half up, as torchvision's save_image does.</summary>
    public byte ToByte(float value)
    {
        float scaled = (value - Low) / (High - Low) * 255f + 0.5f;
        // NaN compares false everywhere and would cast to an undefined byte: show it black.
        if (!(scaled > 0f)) return 0;
        return scaled >= 255f ? (byte)255 : (byte)scaled;
    }
}
