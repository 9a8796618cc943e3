using System.Numerics;

namespace RawGan.Data;

internal enum HairStyle { Short, Long, Fringe, SidePart, Bald }

internal enum MouthShape { Smile, Neutral, Open }

/// <summary>
/// Everything that varies between synthetic faces, drawn from one random stream. Lengths are in
/// head units: the image spans [-1, 1] before the head's own offset, tilt and scale.
/// </summary>
internal sealed class FaceTraits
{
    // Pose: where the head sits in the image, its roll, its size, and a turn (features slide sideways).
    public float HeadX, HeadY, Tilt, Scale, Turn;

    public Vector3 BackgroundTop, BackgroundBottom, Shirt, Skin, Hair, Brows, Iris, Lips;
    public float HeadWidth, HeadHeight, ChinNarrowing, Light;

    public HairStyle Style;
    public float HairVolume, HairlineTop, HairlineCurve, HairlineSlant, HairLength;

    public float EyeY, EyeSpacing, EyeWidth, EyeHeight, GazeX, GazeY;
    public float BrowRaise, BrowSlant, BrowThickness;
    public float NoseLength, NoseWidth;
    public MouthShape Mouth;
    public float MouthY, MouthWidth, MouthLift, MouthOpen;
    public bool Glasses, Beard, Moustache, Blush;

    static readonly Vector3[] SkinTones =
    [
        new(0.98f, 0.86f, 0.76f), new(0.96f, 0.80f, 0.67f), new(0.89f, 0.70f, 0.57f), new(0.80f, 0.60f, 0.45f),
        new(0.67f, 0.48f, 0.34f), new(0.52f, 0.36f, 0.25f), new(0.38f, 0.26f, 0.18f),
    ];

    static readonly Vector3[] HairColours =
    [
        new(0.07f, 0.06f, 0.06f), new(0.16f, 0.10f, 0.07f), new(0.30f, 0.19f, 0.11f), new(0.47f, 0.31f, 0.17f),
        new(0.82f, 0.66f, 0.40f), new(0.93f, 0.83f, 0.58f), new(0.58f, 0.24f, 0.10f), new(0.62f, 0.62f, 0.62f),
    ];

    static readonly Vector3[] IrisColours =
    [
        new(0.30f, 0.17f, 0.08f), new(0.16f, 0.10f, 0.06f), new(0.27f, 0.45f, 0.70f), new(0.32f, 0.48f, 0.30f),
        new(0.48f, 0.38f, 0.18f), new(0.40f, 0.48f, 0.55f),
    ];

    public static FaceTraits Draw(ref SplitMix64 rng)
    {
        var f = new FaceTraits();
        f.HeadX = rng.Range(-0.08f, 0.08f);
        f.HeadY = rng.Range(0.0f, 0.12f);
        f.Tilt = rng.Range(-0.16f, 0.16f);
        f.Scale = rng.Range(1.0f, 1.2f);
        f.Turn = rng.Range(-1f, 1f);

        float hue = rng.NextFloat();
        f.BackgroundTop = Hsv(hue, rng.Range(0.05f, 0.45f), rng.Range(0.35f, 0.95f));
        f.BackgroundBottom = Vector3.Lerp(f.BackgroundTop, Hsv(hue + rng.Range(-0.1f, 0.1f), rng.Range(0.05f, 0.5f), rng.Range(0.2f, 0.8f)), 0.7f);
        f.Shirt = Hsv(rng.NextFloat(), rng.Range(0.1f, 0.8f), rng.Range(0.15f, 0.9f));

        f.Skin = Jitter(ref rng, Pick(ref rng, SkinTones), 0.04f);
        f.Hair = Jitter(ref rng, Pick(ref rng, HairColours), 0.03f);
        // Fair hair goes with darker brows; dark hair with brows of the same colour.
        f.Brows = Vector3.Lerp(f.Hair, new Vector3(0.12f, 0.08f, 0.06f), f.Hair.X > 0.5f ? 0.5f : 0.15f);
        f.Iris = Jitter(ref rng, Pick(ref rng, IrisColours), 0.03f);
        f.Lips = Vector3.Lerp(f.Skin, new Vector3(0.72f, 0.25f, 0.27f), rng.Range(0.35f, 0.6f)) * 0.9f;

        f.HeadWidth = rng.Range(0.48f, 0.58f);
        f.HeadHeight = rng.Range(0.64f, 0.74f);
        f.ChinNarrowing = rng.Range(0.12f, 0.3f);
        f.Light = rng.Range(-1f, 1f);

        f.Style = (HairStyle)rng.NextInt(5);
        if (f.Style == HairStyle.Bald && rng.Chance(0.6f)) f.Style = HairStyle.Short; // bald heads are rarer
        f.HairVolume = rng.Range(0.03f, 0.14f);
        f.HairLength = rng.Range(0.55f, 1.1f);
        (f.HairlineTop, f.HairlineCurve, f.HairlineSlant) = f.Style switch
        {
            HairStyle.Fringe => (rng.Range(-0.36f, -0.24f), rng.Range(0.3f, 0.8f), rng.Range(-0.1f, 0.1f)),
            HairStyle.SidePart => (rng.Range(-0.44f, -0.34f), rng.Range(0.7f, 1.2f), rng.Range(0.25f, 0.45f) * (rng.Chance(0.5f) ? 1 : -1)),
            _ => (rng.Range(-0.5f, -0.38f), rng.Range(0.9f, 1.5f), rng.Range(-0.05f, 0.05f)),
        };

        f.EyeY = rng.Range(-0.07f, 0.02f);
        f.EyeSpacing = rng.Range(0.17f, 0.23f);
        f.EyeWidth = rng.Range(0.075f, 0.1f);
        f.EyeHeight = f.EyeWidth * rng.Range(0.45f, 0.65f);
        f.GazeX = rng.Range(-0.3f, 0.3f);
        f.GazeY = rng.Range(-0.15f, 0.15f);
        f.BrowRaise = rng.Range(0.08f, 0.14f);
        f.BrowSlant = rng.Range(-0.03f, 0.03f);
        f.BrowThickness = rng.Range(0.014f, 0.026f);
        f.NoseLength = rng.Range(0.17f, 0.25f);
        f.NoseWidth = rng.Range(0.035f, 0.055f);

        f.Mouth = (MouthShape)rng.NextInt(3);
        f.MouthY = rng.Range(0.38f, 0.45f);
        f.MouthWidth = rng.Range(0.12f, 0.19f);
        f.MouthLift = f.Mouth switch
        {
            MouthShape.Smile => rng.Range(0.035f, 0.07f),
            MouthShape.Neutral => rng.Range(-0.012f, 0.012f),
            _ => 0f,
        };
        f.MouthOpen = rng.Range(0.06f, 0.1f);

        f.Glasses = rng.Chance(0.15f);
        f.Beard = f.Style != HairStyle.Long && rng.Chance(0.15f);
        f.Moustache = f.Beard || (f.Style != HairStyle.Long && rng.Chance(0.08f));
        f.Blush = rng.Chance(0.35f);
        return f;
    }

    static Vector3 Pick(ref SplitMix64 rng, Vector3[] palette) => palette[rng.NextInt(palette.Length)];

    static Vector3 Jitter(ref SplitMix64 rng, Vector3 colour, float amount)
    {
        float shade = rng.Range(-amount, amount);
        var tint = new Vector3(rng.Range(-amount, amount), rng.Range(-amount, amount), rng.Range(-amount, amount)) * 0.5f;
        return Vector3.Clamp(colour + new Vector3(shade) + tint, Vector3.Zero, Vector3.One);
    }

    static Vector3 Hsv(float hue, float saturation, float value)
    {
        hue -= MathF.Floor(hue);
        float h = hue * 6;
        int sector = (int)h % 6;
        float f = h - MathF.Floor(h);
        float p = value * (1 - saturation), q = value * (1 - saturation * f), t = value * (1 - saturation * (1 - f));
        return sector switch
        {
            0 => new(value, t, p),
            1 => new(q, value, p),
            2 => new(p, value, t),
            3 => new(p, q, value),
            4 => new(t, p, value),
            _ => new(value, p, q),
        };
    }
}
