namespace RawGan.Data;

/// <summary>
/// Signed distances to the shapes synthetic faces are drawn from: negative inside, positive
/// outside, in the same units as the coordinates. <see cref="Coverage"/> turns a distance into
/// an anti-aliased pixel coverage, which is how every edge gets soft for free.
/// </summary>
internal static class Sdf
{
    /// <summary>Fraction of a pixel of width <paramref name="pixel"/> that lies inside.</summary>
    public static float Coverage(float distance, float pixel) => Math.Clamp(0.5f - distance / pixel, 0f, 1f);

    public static float Circle(float x, float y, float radius) => MathF.Sqrt(x * x + y * y) - radius;

    /// <summary>Axis-aligned ellipse at the origin; Quilez's first-order estimate, exact on the
    /// boundary, which is all anti-aliasing needs.</summary>
    public static float Ellipse(float x, float y, float rx, float ry)
    {
        float ax = x / rx, ay = y / ry;
        float k0 = MathF.Sqrt(ax * ax + ay * ay);
        float bx = ax / rx, by = ay / ry;
        float k1 = MathF.Sqrt(bx * bx + by * by);
        return k1 == 0 ? -MathF.Min(rx, ry) : k0 * (k0 - 1) / k1;
    }

    /// <summary>A capsule: segment a→b thickened by <paramref name="radius"/>.</summary>
    public static float Segment(float x, float y, float ax, float ay, float bx, float by, float radius)
    {
        float px = x - ax, py = y - ay, dx = bx - ax, dy = by - ay;
        float t = Math.Clamp((px * dx + py * dy) / (dx * dx + dy * dy), 0f, 1f);
        float ex = px - dx * t, ey = py - dy * t;
        return MathF.Sqrt(ex * ex + ey * ey) - radius;
    }

    /// <summary>A thick parabola arc y = -lift·(x/halfWidth)² over |x| ≤ halfWidth, centred at the
    /// origin with round ends. Positive lift raises the ends: a smile; negative: a frown.</summary>
    public static float Arc(float x, float y, float halfWidth, float lift, float thickness)
    {
        float ax = MathF.Abs(x);
        if (ax > halfWidth) return Circle(ax - halfWidth, y + lift, thickness);
        float t = ax / halfWidth;
        float slope = 2 * lift * t / halfWidth;
        return MathF.Abs(y + lift * t * t) / MathF.Sqrt(1 + slope * slope) - thickness;
    }

    /// <summary>Axis-aligned box of half extents (hx, hy) at the origin with corners rounded by <paramref name="radius"/>.</summary>
    public static float Box(float x, float y, float hx, float hy, float radius)
    {
        float qx = MathF.Abs(x) - hx + radius, qy = MathF.Abs(y) - hy + radius;
        float ox = MathF.Max(qx, 0), oy = MathF.Max(qy, 0);
        return MathF.Sqrt(ox * ox + oy * oy) + MathF.Min(MathF.Max(qx, qy), 0) - radius;
    }

    /// <summary>Inside both shapes.</summary>
    public static float Intersect(float a, float b) => MathF.Max(a, b);
}
