namespace RawGan;

// Method and operator forms of the ops in F, so model code reads like PyTorch.
public sealed partial class Tensor
{
    /// <summary>Computes gradients of this tensor (a scalar loss, or with an explicit
    /// upstream gradient) with respect to every leaf that requires grad. The graph is freed.</summary>
    public void Backward(Tensor? gradient = null) => Autograd.Engine.Backward(this, gradient);

    /// <summary>The same data cut off from the graph: D's step on G(z).Detach() leaves G alone.</summary>
    public Tensor Detach() => View(Shape, Strides, Offset);

    /// <summary>A second handle on the same data and graph position (used where ownership must be split).</summary>
    internal Tensor Alias()
    {
        var alias = View(Shape, Strides, Offset);
        alias.RequiresGrad = RequiresGrad;
        alias.GradFn = GradFn;
        return alias;
    }

    public Tensor Contiguous() => F.Contiguous(this);
    public Tensor Clone() => F.Clone(this);
    public Tensor Reshape(params int[] shape) => F.Reshape(this, shape);
    public Tensor Permute(params int[] dims) => F.Permute(this, dims);
    public Tensor Transpose(int dim0, int dim1) => F.Transpose(this, dim0, dim1);
    public Tensor Slice(int dim, int start, int end, int step = 1) => F.Slice(this, dim, start, end, step);
    public Tensor Expand(params int[] shape) => F.Expand(this, shape);
    public Tensor Unsqueeze(int dim) => F.Unsqueeze(this, dim);
    public Tensor Flatten(int startDim = 1) => F.Flatten(this, startDim);
    public Tensor Sum() => F.Sum(this);
    public Tensor Sum(int[] dims, bool keepDim = false) => F.Sum(this, dims, keepDim);
    public Tensor Mean() => F.Mean(this);
    public Tensor Mean(int[] dims, bool keepDim = false) => F.Mean(this, dims, keepDim);
    public Tensor Exp() => F.Exp(this);
    public Tensor Log() => F.Log(this);
    public Tensor Sqrt() => F.Sqrt(this);
    public Tensor Pow(double p) => F.Pow(this, p);
    public Tensor Matmul(Tensor other) => F.Matmul(this, other);

    /// <summary>Sets every element to value, in place (no autograd).</summary>
    public Tensor Fill(double value)
    {
        if (!IsContiguous) throw new InvalidOperationException("Fill needs a contiguous tensor");
        Backend.Fill(this, value);
        return this;
    }

    public static Tensor operator +(Tensor a, Tensor b) => F.Add(a, b);
    public static Tensor operator -(Tensor a, Tensor b) => F.Sub(a, b);
    public static Tensor operator *(Tensor a, Tensor b) => F.Mul(a, b);
    public static Tensor operator /(Tensor a, Tensor b) => F.Div(a, b);
    public static Tensor operator -(Tensor a) => F.Neg(a);
    public static Tensor operator +(Tensor a, double s) => F.Add(a, s);
    public static Tensor operator +(double s, Tensor a) => F.Add(a, s);
    public static Tensor operator -(Tensor a, double s) => F.Add(a, -s);
    public static Tensor operator -(double s, Tensor a) => F.Add(F.Neg(a), s);
    public static Tensor operator *(Tensor a, double s) => F.Mul(a, s);
    public static Tensor operator *(double s, Tensor a) => F.Mul(a, s);
    public static Tensor operator /(Tensor a, double s) => F.Mul(a, 1.0 / s);
}
