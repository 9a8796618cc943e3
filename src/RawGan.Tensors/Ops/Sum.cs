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
        {
            var (src, outer, n, inner) = ReductionLayout(x, reduce);
            y = Tensor.Empty(outShape, x.DType, x.Device);
            y.Backend.Sum(y, src, outer, n, inner);
        }
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

    /// <summary>A contiguous tensor viewed as [outer, n, inner] whose middle block is the reduced dims.
    /// When the reduced dims are not adjacent they are moved last by a permuted copy.</summary>
    private static (Tensor Src, int Outer, int N, int Inner) ReductionLayout(Tensor x, bool[] reduce)
    {
        int first = Array.IndexOf(reduce, true), last = Array.LastIndexOf(reduce, true);
        if (first < 0) return (Contiguous(x), x.NumEl, 1, 1);
        bool adjacent = true;
        for (int i = first; i <= last; i++) adjacent &= reduce[i];
        if (adjacent)
        {
            int outer = 1, n = 1, inner = 1;
            for (int i = 0; i < x.Rank; i++)
            {
                if (i < first) outer *= x.Shape[i];
                else if (i <= last) n *= x.Shape[i];
                else inner *= x.Shape[i];
            }
            return (Contiguous(x), outer, n, inner);
        }
        var kept = Enumerable.Range(0, x.Rank).Where(i => !reduce[i]);
        var reduced = Enumerable.Range(0, x.Rank).Where(i => reduce[i]);
        var permuted = Contiguous(Permute(x, [.. kept, .. reduced]));
        int nn = reduced.Aggregate(1, (acc, i) => acc * x.Shape[i]);
        return (permuted, x.NumEl / Math.Max(nn, 1), nn, 1);
    }
}
