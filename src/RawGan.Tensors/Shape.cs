namespace RawGan;

/// <summary>Shape arithmetic shared by tensors and ops: element counts, strides, broadcasting.</summary>
public static class Shape
{
    public static int NumEl(ReadOnlySpan<int> shape)
    {
        int n = 1;
        foreach (var d in shape)
        {
            if (d < 0) throw new ArgumentException($"negative dimension in shape {Format(shape)}");
            n = checked(n * d);
        }
        return n;
    }

    public static int[] ContiguousStrides(ReadOnlySpan<int> shape)
    {
        var strides = new int[shape.Length];
        int s = 1;
        for (int i = shape.Length - 1; i >= 0; i--)
        {
            strides[i] = s;
            s = checked(s * Math.Max(shape[i], 1));
        }
        return strides;
    }

    /// <summary>NumPy broadcasting: align right, sizes must match or be 1.</summary>
    public static int[] Broadcast(ReadOnlySpan<int> a, ReadOnlySpan<int> b)
    {
        int n = Math.Max(a.Length, b.Length);
        var result = new int[n];
        for (int i = 0; i < n; i++)
        {
            int da = i < n - a.Length ? 1 : a[i - (n - a.Length)];
            int db = i < n - b.Length ? 1 : b[i - (n - b.Length)];
            if (da != db && da != 1 && db != 1)
                throw new ArgumentException($"shapes {Format(a)} and {Format(b)} cannot be broadcast together");
            result[i] = da == 1 ? db : da;
        }
        return result;
    }

    /// <summary>Resolves one -1 in a reshape target.</summary>
    public static int[] Infer(ReadOnlySpan<int> target, int numel)
    {
        var shape = target.ToArray();
        int unknown = Array.IndexOf(shape, -1);
        if (unknown >= 0)
        {
            shape[unknown] = 1;
            int known = NumEl(shape);
            if (known == 0 || numel % known != 0)
                throw new ArgumentException($"cannot reshape {numel} elements to {Format(target)}");
            shape[unknown] = numel / known;
        }
        if (NumEl(shape) != numel)
            throw new ArgumentException($"cannot reshape {numel} elements to {Format(target)}");
        return shape;
    }

    public static int NormalizeDim(int dim, int rank)
    {
        int d = dim < 0 ? dim + rank : dim;
        if (d < 0 || d >= rank)
            throw new ArgumentOutOfRangeException(nameof(dim), $"dimension {dim} out of range for a tensor of rank {rank}");
        return d;
    }

    public static string Format(ReadOnlySpan<int> shape) => "[" + string.Join(", ", shape.ToArray()) + "]";
}
