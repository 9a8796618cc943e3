namespace RawGan;

// sum and mean, over everything or over a set of dimensions. The backend reduces one
// contiguous block of dimensions; other sets are permuted into one block first.
public static partial class F
{
    public static Tensor Sum(Tensor x) => Sum(x, [.. Enumerable.Range(0, x.Rank)], keepDim: false);

    public static Tensor Sum(Tensor x, int[] dims, bool keepDim = false)
    {
        var reduce = new bool[x.Rank];
        foreach (var dim in dims) reduce[Shape.NormalizeDim(dim, x.Rank)] = true;

        var keptShape = new List<int>();
        var keepDimShape = new int[x.Rank];
        for (int i = 0; i < x.Rank; i++)
        {
            keepDimShape[i] = reduce[i] ? 1 : x.Shape[i];
            if (!reduce[i]) keptShape.Add(x.Shape[i]);
        }
        var outShape = keepDim ? keepDimShape : keptShape.ToArray();

        Tensor y;
        using (Autograd.Autograd.NoGrad())
            y = Reshape(SumRuns(x, reduce), outShape);
        var inShape = x.Shape;
        return Autograd.Autograd.Record(y, "sum", [x], dy => [Expand(Reshape(dy, keepDimShape), inShape)]);
    }

    public static Tensor Mean(Tensor x) => Mul(Sum(x), 1.0 / Math.Max(x.NumEl, 1));

    public static Tensor Mean(Tensor x, int[] dims, bool keepDim = false)
    {
        int count = 1;
        foreach (var dim in dims.Select(d => Shape.NormalizeDim(d, x.Rank)).Distinct()) count *= x.Shape[dim];
        return Mul(Sum(x, dims, keepDim), 1.0 / Math.Max(count, 1));
    }

    /// <summary>x summed over the reduced dims, kept with size 1. Each run of adjacent reduced dims is
    /// one backend reduction of x viewed as [outer, n, inner], the innermost run first: a conv bias
    /// gradient (dims 0, 2, 3 of NCHW) sums each plane, then the much smaller [N, C] over N, instead of
    /// a permuted copy of the whole tensor. No reduced dims: a copy.</summary>
    private static Tensor SumRuns(Tensor x, bool[] reduce)
    {
        int last = Array.LastIndexOf(reduce, true), first = last;
        while (first > 0 && reduce[first - 1]) first--;
        int outer = 1, n = 1, inner = 1;
        var shape = (int[])x.Shape.Clone();
        for (int i = 0; i < x.Rank; i++)
        {
            if (last < 0 || i < first) outer *= x.Shape[i];
            else if (i <= last) { n *= x.Shape[i]; shape[i] = 1; }
            else inner *= x.Shape[i];
        }
        var y = Tensor.Empty(shape, x.DType, x.Device);
        y.Backend.Sum(y, Contiguous(x), outer, n, inner);
        if (last < 0) return y;
        var rest = (bool[])reduce.Clone();
        for (int i = first; i <= last; i++) rest[i] = false;
        if (Array.IndexOf(rest, true) < 0) return y;
        var result = SumRuns(y, rest);
        y.Dispose();
        return result;
    }
}
