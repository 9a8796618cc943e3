namespace RawGan.Latent;

/// <summary>How `rawgan interpolate` moves through latent space.</summary>
public enum WalkMode { Lerp, Slerp, Walk }

/// <summary>
/// Paths through latent space as sequences of flat latent vectors (one float[] per frame): straight
/// lines, great circles (slerp keeps a Gaussian latent's norm, so midpoints stay typical), and a
/// smooth closed random walk through random keyframes.
/// </summary>
public static class LatentWalk
{
    /// <summary>(1 - t) a + t b.</summary>
    public static float[] Lerp(ReadOnlySpan<float> a, ReadOnlySpan<float> b, double t)
    {
        CheckLengths(a, b);
        var z = new float[a.Length];
        for (int i = 0; i < z.Length; i++) z[i] = (float)((1 - t) * a[i] + t * b[i]);
        return z;
    }

    /// <summary>sin((1 - t) theta) / sin(theta) a + sin(t theta) / sin(theta) b, theta the angle
    /// between a and b (White 2016); the straight line where a and b are (anti)parallel or zero.</summary>
    public static float[] Slerp(ReadOnlySpan<float> a, ReadOnlySpan<float> b, double t)
    {
        CheckLengths(a, b);
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.Length; i++)
        {
            dot += (double)a[i] * b[i];
            na += (double)a[i] * a[i];
            nb += (double)b[i] * b[i];
        }
        double theta = Math.Acos(Math.Clamp(dot / Math.Sqrt(na * nb), -1, 1));
        double sin = Math.Sin(theta);
        if (!(sin > 1e-6)) return Lerp(a, b, t);
        double wa = Math.Sin((1 - t) * theta) / sin, wb = Math.Sin(t * theta) / sin;
        var z = new float[a.Length];
        for (int i = 0; i < z.Length; i++) z[i] = (float)(wa * a[i] + wb * b[i]);
        return z;
    }

    /// <summary>frames points from a to b, both ends included (one frame: a).</summary>
    public static IReadOnlyList<float[]> Between(float[] a, float[] b, int frames, WalkMode mode)
    {
        if (frames < 1) throw new ArgumentException("--frames must be at least 1");
        if (mode == WalkMode.Walk) throw new ArgumentException("a walk between two given points is a lerp or a slerp");
        return [.. Enumerable.Range(0, frames).Select(i =>
        {
            double t = frames == 1 ? 0 : (double)i / (frames - 1);
            return mode == WalkMode.Slerp ? Slerp(a, b, t) : Lerp(a, b, t);
        })];
    }

    /// <summary>A closed Catmull-Rom spline through the keyframes: smooth (continuous velocity), it
    /// passes through every keyframe and ends where it began, so the animation loops seamlessly.
    /// Frame i sits at keyframe position i * keys / frames.</summary>
    public static IReadOnlyList<float[]> Loop(IReadOnlyList<float[]> keys, int frames)
    {
        if (keys.Count < 2) throw new ArgumentException("a walk needs at least 2 keyframes");
        if (frames < 1) throw new ArgumentException("--frames must be at least 1");
        int m = keys.Count;
        var path = new List<float[]>(frames);
        for (int f = 0; f < frames; f++)
        {
            double position = (double)f * m / frames;
            int k = (int)position;
            double t = position - k, t2 = t * t, t3 = t2 * t;
            var (p0, p1, p2, p3) = (keys[(k + m - 1) % m], keys[k % m], keys[(k + 1) % m], keys[(k + 2) % m]);
            CheckLengths(p0, p1);
            var z = new float[p1.Length];
            for (int i = 0; i < z.Length; i++)
                z[i] = (float)(0.5 * (2 * p1[i] + (p2[i] - p0[i]) * t + (2 * p0[i] - 5 * p1[i] + 4 * p2[i] - p3[i]) * t2
                                     + (3 * p1[i] - p0[i] - 3 * p2[i] + p3[i]) * t3));
            path.Add(z);
        }
        return path;
    }

    private static void CheckLengths(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        if (a.Length != b.Length) throw new ArgumentException($"latents of different sizes: {a.Length} and {b.Length}");
    }
}
