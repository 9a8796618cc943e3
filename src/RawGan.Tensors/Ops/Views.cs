namespace RawGan;

// Views share storage with their input: reshape, permute, slice, expand. Their backward moves
// the gradient back to the input's layout.
public static partial class F
{
    public static Tensor Reshape(Tensor x, params int[] shape)
    {
        var target = Shape.Infer(shape, x.NumEl);
        var src = x.Contiguous();
        var y = src.View(target, Shape.ContiguousStrides(target), src.Offset);
        var inShape = x.Shape;
        return Autograd.Autograd.Record(y, "reshape", [x], dy => [Reshape(dy, inShape)]);
    }

    public static Tensor Permute(Tensor x, params int[] dims)
    {
        if (dims.Length != x.Rank)
            throw new ArgumentException($"permute: {dims.Length} dims given for a tensor of rank {x.Rank}");
        var shape = new int[x.Rank];
        var strides = new int[x.Rank];
        var inverse = new int[x.Rank];
        var seen = new bool[x.Rank];
        for (int i = 0; i < dims.Length; i++)
        {
            int d = Shape.NormalizeDim(dims[i], x.Rank);
            if (seen[d]) throw new ArgumentException($"permute: dimension {d} repeated");
            seen[d] = true;
            shape[i] = x.Shape[d];
            strides[i] = x.Strides[d];
            inverse[d] = i;
        }
        var y = x.View(shape, strides, x.Offset);
        return Autograd.Autograd.Record(y, "permute", [x], dy => [Permute(dy, inverse)]);
    }

    public static Tensor Transpose(Tensor x, int dim0, int dim1)
    {
        var dims = Enumerable.Range(0, x.Rank).ToArray();
        int a = Shape.NormalizeDim(dim0, x.Rank), b = Shape.NormalizeDim(dim1, x.Rank);
        (dims[a], dims[b]) = (dims[b], dims[a]);
        return Permute(x, dims);
    }

    /// <summary>Elements start, start+step, ... (&lt; end) along dim, as x[..., start:end:step].</summary>
    public static Tensor Slice(Tensor x, int dim, int start, int end, int step = 1)
    {
        int d = Shape.NormalizeDim(dim, x.Rank);
        int size = x.Shape[d];
        if (step <= 0) throw new ArgumentException("slice: step must be positive");
        if (start < 0) start += size;
        if (end < 0) end += size;
        start = Math.Clamp(start, 0, size);
        end = Math.Clamp(end, start, size);
        var shape = (int[])x.Shape.Clone();
        var strides = (int[])x.Strides.Clone();
        shape[d] = (end - start + step - 1) / step;
        strides[d] = x.Strides[d] * step;
        var y = x.View(shape, strides, x.Offset + start * x.Strides[d]);
        var inShape = x.Shape;
        return Autograd.Autograd.Record(y, "slice", [x], dy =>
        {
            var dx = Tensor.Zeros(inShape, dy.DType, dy.Device);
            var window = Slice(dx, d, start, end, step);
            window.Backend.Copy(window, dy);
            return [dx];
        });
    }

    /// <summary>Broadcasts size-1 dimensions (and new leading ones) to shape without copying.</summary>
    public static Tensor Expand(Tensor x, params int[] shape)
    {
        if (shape.Length < x.Rank)
            throw new ArgumentException($"expand: cannot expand {Shape.Format(x.Shape)} to fewer dimensions {Shape.Format(shape)}");
        if (shape.AsSpan().SequenceEqual(x.Shape)) return x;
        int lead = shape.Length - x.Rank;
        var strides = new int[shape.Length];
        for (int i = 0; i < shape.Length; i++)
        {
            if (i < lead) { strides[i] = 0; continue; }
            int size = x.Shape[i - lead];
            if (size == shape[i]) strides[i] = x.Strides[i - lead];
            else if (size == 1) strides[i] = 0;
            else throw new ArgumentException($"expand: cannot expand {Shape.Format(x.Shape)} to {Shape.Format(shape)}");
        }
        var y = x.View((int[])shape.Clone(), strides, x.Offset);
        var inShape = x.Shape;
        return Autograd.Autograd.Record(y, "expand", [x], dy => [SumTo(dy, inShape)]);
    }

    /// <summary>Sums a broadcast gradient back to the shape it was broadcast from.</summary>
    public static Tensor SumTo(Tensor x, int[] shape)
    {
        if (x.Shape.AsSpan().SequenceEqual(shape)) return x;
        int lead = x.Rank - shape.Length;
        var dims = new List<int>();
        for (int i = 0; i < x.Rank; i++)
            if (i < lead || (shape[i - lead] == 1 && x.Shape[i] != 1)) dims.Add(i);
        var summed = Sum(x, [.. dims], keepDim: true);
        return Reshape(summed, shape);
    }

    public static Tensor Unsqueeze(Tensor x, int dim)
    {
        int d = dim < 0 ? dim + x.Rank + 1 : dim;
        var shape = x.Shape.ToList();
        shape.Insert(d, 1);
        return Reshape(x, [.. shape]);
    }

    public static Tensor Flatten(Tensor x, int startDim = 1)
    {
        int s = Shape.NormalizeDim(startDim, x.Rank);
        var shape = x.Shape.Take(s).Append(-1).ToArray();
        return Reshape(x, shape);
    }
}
