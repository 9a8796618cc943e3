namespace RawGan;

public static partial class F
{
    /// <summary>Matrix product: [m,k]@[k,n], or batched [...,m,k]@[...,k,n] with broadcast batch dims.</summary>
    public static Tensor Matmul(Tensor a, Tensor b)
    {
        CheckSame("matmul", a, b);
        if (a.Rank < 2 || b.Rank < 2)
            throw new ArgumentException($"matmul: both operands need at least 2 dimensions, got {Shape.Format(a.Shape)} and {Shape.Format(b.Shape)}");
        int m = a.Shape[^2], k = a.Shape[^1], n = b.Shape[^1];
        if (b.Shape[^2] != k)
            throw new ArgumentException($"matmul: inner sizes differ: {Shape.Format(a.Shape)} @ {Shape.Format(b.Shape)}");

        var batchShape = Shape.Broadcast(a.Shape[..^2], b.Shape[..^2]);
        int batch = Shape.NumEl(batchShape);
        var c = Tensor.Empty([.. batchShape, m, n], a.DType, a.Device);
        using (Autograd.Autograd.NoGrad())
        {
            var a3 = Batched(a, batchShape, m, k);
            var b3 = Batched(b, batchShape, k, n);
            c.Backend.Matmul(Reshape(c, batch, m, n), a3, b3, transA: false, transB: false);
        }
        return Autograd.Autograd.Record(c, "matmul", [a, b], dc =>
        [
            a.RequiresGrad ? SumTo(Matmul(dc, Transpose(b, -1, -2)), a.Shape) : null,
            b.RequiresGrad ? SumTo(Matmul(Transpose(a, -1, -2), dc), b.Shape) : null,
        ]);
    }

    /// <summary>A contiguous [batch or 1, rows, cols] view for the backend, which broadcasts batch 1.</summary>
    private static Tensor Batched(Tensor t, int[] batchShape, int rows, int cols)
    {
        int own = Shape.NumEl(t.Shape.AsSpan(0, t.Rank - 2));
        if (own == 1) return Reshape(t, 1, rows, cols);
        var expanded = Expand(t, [.. batchShape, rows, cols]);
        return Reshape(expanded, -1, rows, cols);
    }
}
