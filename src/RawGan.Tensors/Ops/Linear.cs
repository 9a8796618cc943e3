namespace RawGan;

public static partial class F
{
    /// <summary>y = x W^T + b for x [..., in], weight [out, in] (PyTorch's layout), bias [out]. The
    /// backend multiplies by the transposed weight directly, so no transposed copy is made.</summary>
    public static Tensor Linear(Tensor x, Tensor weight, Tensor? bias = null)
    {
        CheckSame("linear", x, weight);
        CheckRank("linear", weight, 2, "weight");
        int outFeatures = weight.Shape[0], inFeatures = weight.Shape[1];
        if (x.Rank < 1 || x.Shape[^1] != inFeatures)
            throw new ArgumentException($"linear: input of shape {Shape.Format(x.Shape)} does not end in {inFeatures} features (weight {Shape.Format(weight.Shape)})");
        if (bias is not null) CheckShape("linear", bias, [outFeatures], "bias");

        int rows = x.NumEl / inFeatures;
        var w = Contiguous(weight);
        var x2 = Contiguous(x);
        var y = Tensor.Empty([.. x.Shape[..^1], outFeatures], x.DType, x.Device);
        using (Autograd.Autograd.NoGrad())
            y.Backend.Matmul(Reshape(y, 1, rows, outFeatures), Reshape(x2, 1, rows, inFeatures), Reshape(w, 1, outFeatures, inFeatures), transA: false, transB: true);
        var result = Autograd.Autograd.Record(y, "linear", [x, weight], dy =>
        {
            var g = Reshape(Contiguous(dy), 1, rows, outFeatures);
            Tensor? dx = null, dw = null;
            if (x.RequiresGrad)
            {
                dx = x.EmptyLike();
                dx.Backend.Matmul(Reshape(dx, 1, rows, inFeatures), g, Reshape(w, 1, outFeatures, inFeatures), transA: false, transB: false);
            }
            if (weight.RequiresGrad)
            {
                dw = weight.EmptyLike();
                dw.Backend.Matmul(Reshape(dw, 1, outFeatures, inFeatures), g, Reshape(x2, 1, rows, inFeatures), transA: true, transB: false);
            }
            return [dx, dw];
        });
        return bias is null ? result : Add(result, bias);
    }
}
