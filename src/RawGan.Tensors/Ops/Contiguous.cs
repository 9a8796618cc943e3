namespace RawGan;

public static partial class F
{
    /// <summary>x itself when already contiguous, else a packed copy.</summary>
    public static Tensor Contiguous(Tensor x) => x.IsContiguous ? x : Clone(x);

    /// <summary>A contiguous copy with its own storage (differentiable).</summary>
    public static Tensor Clone(Tensor x)
    {
        var y = x.EmptyLike();
        y.Backend.Copy(y, x);
        return Autograd.Autograd.Record(y, "clone", [x], dy => [dy]);
    }

    /// <summary>Joins tensors along dim; each input's gradient is its slice of the output's.</summary>
    public static Tensor Concat(Tensor[] xs, int dim)
    {
        if (xs.Length == 0) throw new ArgumentException("concat: no tensors");
        int d = Shape.NormalizeDim(dim, xs[0].Rank);
        var shape = (int[])xs[0].Shape.Clone();
        shape[d] = 0;
        foreach (var x in xs)
        {
            CheckSame("concat", xs[0], x);
            for (int i = 0; i < shape.Length; i++)
                if (i != d && x.Shape[i] != shape[i])
                    throw new ArgumentException($"concat: shapes {Shape.Format(xs[0].Shape)} and {Shape.Format(x.Shape)} differ outside dim {d}");
            shape[d] += x.Shape[d];
        }
        var y = Tensor.Empty(shape, xs[0].DType, xs[0].Device);
        var starts = new int[xs.Length];
        int at = 0;
        using (Autograd.Autograd.NoGrad())
        {
            for (int i = 0; i < xs.Length; i++)
            {
                starts[i] = at;
                var window = Slice(y, d, at, at + xs[i].Shape[d]);
                y.Backend.Copy(window, xs[i]);
                window.Dispose();
                at += xs[i].Shape[d];
            }
        }
        return Autograd.Autograd.Record(y, "concat", xs, dy =>
            [.. xs.Select((x, i) => (Tensor?)Slice(dy, d, starts[i], starts[i] + x.Shape[d]))]);
    }
}
