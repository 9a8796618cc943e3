using System.Numerics;

namespace RawGan.Data;

/// <summary>
/// Draws one <see cref="FaceTraits"/> into an RGB image. Every pixel walks the layers back to front
/// (hair behind, neck, shirt, ears, head, hair, then the features) and blends each by its
/// anti-aliased coverage, so the cost is a few dozen distance evaluations per pixel.
/// </summary>
internal static class FacePainter
{
    static readonly Vector3 EyeWhite = new(0.95f, 0.94f, 0.91f);
    static readonly Vector3 Pupil = new(0.04f, 0.03f, 0.03f);
    static readonly Vector3 Lashes = new(0.12f, 0.08f, 0.07f);
    static readonly Vector3 MouthInside = new(0.32f, 0.07f, 0.08f);
    static readonly Vector3 Teeth = new(0.95f, 0.93f, 0.87f);
    static readonly Vector3 Rouge = new(0.92f, 0.45f, 0.45f);
    static readonly Vector3 Frames = new(0.1f, 0.09f, 0.09f);

    public static void Paint(FaceTraits f, int size, Span<byte> rgb)
    {
        float pixel = 2f / size;
        float headPixel = pixel / f.Scale;
        float cos = MathF.Cos(f.Tilt), sin = MathF.Sin(f.Tilt);
        for (int py = 0; py < size; py++)
        {
            float v = (py + 0.5f) * pixel - 1;
            var background = Vector3.Lerp(f.BackgroundTop, f.BackgroundBottom, (v + 1) * 0.5f);
            for (int px = 0; px < size; px++)
            {
                float u = (px + 0.5f) * pixel - 1;
                float dx = u - f.HeadX, dy = v - f.HeadY;
                float x = (cos * dx + sin * dy) / f.Scale, y = (-sin * dx + cos * dy) / f.Scale;
                var colour = Person(f, x, y, headPixel, background);
                int o = (py * size + px) * 3;
                rgb[o] = ToByte(colour.X);
                rgb[o + 1] = ToByte(colour.Y);
                rgb[o + 2] = ToByte(colour.Z);
            }
        }
    }

    static byte ToByte(float value) => (byte)(Math.Clamp(value, 0f, 1f) * 255f + 0.5f);

    static Vector3 Over(Vector3 below, Vector3 above, float coverage) => below + (above - below) * coverage;

    /// <summary>Colour at head-frame point (x, y), y down, the head centred at the origin.</summary>
    static Vector3 Person(FaceTraits f, float x, float y, float p, Vector3 c)
    {
        float hairWidth = f.HeadWidth + f.HairVolume;
        // Beside the head and above the shoulders there is only background (or long hair).
        if (y < 0.3f && MathF.Abs(x) > hairWidth + 0.2f) return c;
        if (f.Style == HairStyle.Long)
        {
            float top = -0.3f, bottom = f.HairLength;
            c = Over(c, f.Hair * 0.85f, Sdf.Coverage(Sdf.Box(x, y - (top + bottom) / 2, hairWidth + 0.08f, (bottom - top) / 2, 0.2f), p));
        }

        var neckShadow = f.Skin * 0.8f;
        c = Over(c, neckShadow, Sdf.Coverage(Sdf.Box(x, y - 0.75f, f.HeadWidth * 0.36f, 0.3f, 0.05f), p));
        float shirt = Sdf.Intersect(Sdf.Ellipse(x, y - 1.38f, 0.98f, 0.58f), -Sdf.Ellipse(x, y - 0.8f, f.HeadWidth * 0.4f, 0.12f));
        c = Over(c, f.Shirt, Sdf.Coverage(shirt, p));

        var ear = f.Skin * 0.9f;
        c = Over(c, ear, Sdf.Coverage(Sdf.Ellipse(MathF.Abs(x) - f.HeadWidth + 0.01f, y - 0.04f, 0.07f, 0.12f), p));

        // The chin narrows: squeeze x more the lower the point.
        float squeeze = 1 - f.ChinNarrowing * MathF.Max(y, 0) / f.HeadHeight;
        float head = Sdf.Ellipse(x / squeeze, y, f.HeadWidth, f.HeadHeight);
        float radial = (x * x) / (f.HeadWidth * f.HeadWidth) + (y * y) / (f.HeadHeight * f.HeadHeight);
        float shade = (1 - 0.28f * SmoothStep(0.45f, 1.05f, radial)) * (1 + 0.1f * f.Light * x / f.HeadWidth);
        c = Over(c, f.Skin * shade, Sdf.Coverage(head, p));

        // Every feature lies on the face; the glasses' arms reach just past its edge.
        if (head < 0.06f && y > -0.35f)
            c = Features(f, x - f.Turn * 0.07f, y, p, head, c);

        if (f.Style != HairStyle.Bald)
        {
            float cap = Sdf.Ellipse(x, y + 0.06f, hairWidth, f.HeadHeight * 0.86f + f.HairVolume);
            float line = f.HairlineTop + f.HairlineCurve * x * x + f.HairlineSlant * x;
            float slope = 2 * f.HairlineCurve * x + f.HairlineSlant;
            float below = (y - line) / MathF.Sqrt(1 + slope * slope);
            float hair = Sdf.Intersect(cap, below);
            // Lighter towards the crown, darker at the edges: reads as volume even at 32 px.
            var tone = f.Hair * (0.8f + 0.35f * SmoothStep(0.1f, -0.25f, cap) * SmoothStep(-0.2f, -0.6f, y));
            c = Over(c, tone, Sdf.Coverage(hair, p));
        }
        return c;
    }

    static Vector3 Features(FaceTraits f, float x, float y, float p, float head, Vector3 c)
    {
        float mouthX = x, mouthY = y - f.MouthY;
        for (int side = -1; side <= 1; side += 2)
        {
            float ex = x - side * f.EyeSpacing, ey = y - f.EyeY;
            c = Over(c, c * 0.85f, 0.6f * Sdf.Coverage(Sdf.Ellipse(ex, ey + 0.01f, f.EyeWidth * 1.5f, f.EyeHeight * 2f), Soft(p, 0.16f)));
            if (f.Blush)
                c = Over(c, Rouge, 0.22f * Sdf.Coverage(Sdf.Ellipse(x - side * 0.3f, y - f.MouthY + 0.16f, 0.1f, 0.07f), Soft(p, 0.22f)));
        }

        float noseBottom = f.EyeY + 0.05f + f.NoseLength;
        float lit = f.Light > 0 ? -1 : 1;
        c = Over(c, f.Skin * 0.75f, 0.55f * Sdf.Coverage(Sdf.Segment(x, y, lit * 0.02f, f.EyeY + 0.07f, lit * f.NoseWidth * 0.8f, noseBottom - 0.02f, 0.012f), Soft(p, 0.07f)));
        c = Over(c, f.Skin * 0.7f, 0.5f * Sdf.Coverage(Sdf.Arc(x, y - noseBottom - 0.012f, f.NoseWidth, -0.012f, 0.011f), Soft(p, 0.04f)));
        c = Over(c, f.Skin * 0.45f, 0.8f * Sdf.Coverage(Sdf.Ellipse(MathF.Abs(x) - f.NoseWidth * 0.55f, y - noseBottom, 0.018f, 0.011f), p));

        if (f.Beard)
        {
            float beard = Sdf.Intersect(head, Sdf.Ellipse(x, y - f.MouthY - 0.26f, f.HeadWidth * 1.05f, 0.42f));
            c = Over(c, f.Hair * 0.9f, 0.92f * Sdf.Coverage(beard, p));
        }
        if (f.Moustache)
            c = Over(c, f.Hair * 0.9f, Sdf.Coverage(Sdf.Arc(mouthX, mouthY + 0.05f, f.MouthWidth * 0.9f, -0.02f, 0.022f), p));

        if (f.Mouth == MouthShape.Open)
        {
            float mouth = Sdf.Intersect(Sdf.Ellipse(mouthX, mouthY, f.MouthWidth * 0.85f, f.MouthOpen), -mouthY);
            c = Over(c, MouthInside, Sdf.Coverage(mouth, p));
            c = Over(c, Teeth, Sdf.Coverage(Sdf.Intersect(mouth, mouthY - f.MouthOpen * 0.35f), p));
            c = Over(c, f.Lips, Sdf.Coverage(MathF.Abs(mouth) - 0.011f, p));
        }
        else
        {
            float lips = f.Mouth == MouthShape.Smile ? 0.02f : 0.016f;
            c = Over(c, f.Lips, Sdf.Coverage(Sdf.Arc(mouthX, mouthY, f.MouthWidth, f.MouthLift, lips), p));
            c = Over(c, f.Lips * 0.5f, Sdf.Coverage(Sdf.Arc(mouthX, mouthY, f.MouthWidth * 0.95f, f.MouthLift, 0.005f), p));
        }

        for (int side = -1; side <= 1; side += 2)
        {
            float ex = x - side * f.EyeSpacing, ey = y - f.EyeY;
            // Brows arch (ends lower than the middle) and slant the same way on both sides.
            float by = ey + f.BrowRaise + side * f.BrowSlant * ex / 0.08f;
            c = Over(c, f.Brows, Sdf.Coverage(Sdf.Arc(ex, by, 0.08f, -0.018f, f.BrowThickness), p));

            float white = Sdf.Ellipse(ex, ey, f.EyeWidth, f.EyeHeight);
            float ix = ex - f.GazeX * f.EyeWidth * 0.5f, iy = ey - f.GazeY * f.EyeHeight * 0.5f;
            c = Over(c, EyeWhite, Sdf.Coverage(white, p));
            c = Over(c, f.Iris, Sdf.Coverage(Sdf.Intersect(Sdf.Circle(ix, iy, f.EyeHeight * 0.95f), white), p));
            c = Over(c, Pupil, Sdf.Coverage(Sdf.Intersect(Sdf.Circle(ix, iy, f.EyeHeight * 0.42f), white), p));
            c = Over(c, Lashes, Sdf.Coverage(Sdf.Intersect(MathF.Abs(white) - 0.011f, ey), p));

            if (f.Glasses)
            {
                c = Over(c, Frames, Sdf.Coverage(MathF.Abs(Sdf.Ellipse(ex, ey - 0.005f, f.EyeWidth + 0.05f, f.EyeHeight + 0.05f)) - 0.01f, p));
                float rim = f.EyeSpacing + f.EyeWidth + 0.05f;
                c = Over(c, Frames, Sdf.Coverage(Sdf.Segment(x, y, side * rim, f.EyeY - 0.01f, side * (f.HeadWidth + 0.02f), f.EyeY - 0.02f, 0.009f), p));
            }
        }
        if (f.Glasses)
        {
            float inner = f.EyeSpacing - f.EyeWidth - 0.05f;
            c = Over(c, Frames, Sdf.Coverage(Sdf.Segment(x, y, -inner, f.EyeY - 0.02f, inner, f.EyeY - 0.02f, 0.009f), p));
        }
        return c;
    }

    /// <summary>Shadows and blush fade over a fixed width of the face, never less than a pixel,
    /// so they look the same at every image size.</summary>
    static float Soft(float pixel, float width) => MathF.Max(pixel, width);

    static float SmoothStep(float edge0, float edge1, float x)
    {
        float t = Math.Clamp((x - edge0) / (edge1 - edge0), 0f, 1f);
        return t * t * (3 - 2 * t);
    }
}
