namespace RawGan.Tests;

/// <summary>
/// Backward vs float64 central differences. The checked function's output is dotted with a fixed
/// random tensor, so every output element's gradient path is exercised, not just their sum.
/// A failure names the op, the input, its shape and the worst element.
/// </summary>
public static class GradCheck
{
    public static void Check(string op, Func<Tensor[], Tensor> f, params Tensor[] inputs) =>
        Check(op, f, inputs, eps: 1e-6, atol: 1e-6, rtol: 1e-4);

    public static void Check(string op, Func<Tensor[], Tensor> f, Tensor[] inputs, double eps, double atol, double rtol)
    {
        foreach (var x in inputs)
            if (x.DType != DType.Float64) throw new ArgumentException("gradient checks run in float64");

        var probe = f(inputs);
        var weights = Random(probe.Shape, seed: 99);
        foreach (var x in inputs) x.Grad = null;
        F.Sum(F.Mul(probe, weights)).Backward();

        for (int k = 0; k < inputs.Length; k++)
        {
            var x = inputs[k];
            if (!x.RequiresGrad) continue;
            var analytic = x.Grad?.ToDoubleArray() ?? new double[x.NumEl];
            var numeric = Numeric(f, inputs, k, weights, eps);
            int worst = -1;
            double worstExcess = 0;
            for (int i = 0; i < numeric.Length; i++)
            {
                double excess = Math.Abs(analytic[i] - numeric[i]) - (atol + rtol * Math.Abs(numeric[i]));
                if (double.IsNaN(analytic[i]) || excess > worstExcess) { worst = i; worstExcess = double.IsNaN(analytic[i]) ? double.PositiveInfinity : excess; }
            }
            if (worst >= 0)
                Assert.Fail($"{op}: gradient of input {k} (shape {Shape.Format(x.Shape)}) is wrong at element {worst}: " +
                            $"backward {analytic[worst]:G10}, finite difference {numeric[worst]:G10}");
        }
    }

    private static double[] Numeric(Func<Tensor[], Tensor> f, Tensor[] inputs, int k, Tensor weights, double eps)
    {
        var x = inputs[k];
        var data = x.ToDoubleArray();
        var grad = new double[data.Length];
        using var _ = Autograd.Autograd.NoGrad();
        for (int i = 0; i < data.Length; i++)
        {
            double saved = data[i];
            data[i] = saved + eps;
            double plus = Objective(f, inputs, k, data, weights);
            data[i] = saved - eps;
            double minus = Objective(f, inputs, k, data, weights);
            data[i] = saved;
            grad[i] = (plus - minus) / (2 * eps);
        }
        return grad;
    }

    private static double Objective(Func<Tensor[], Tensor> f, Tensor[] inputs, int k, double[] data, Tensor weights)
    {
        var args = (Tensor[])inputs.Clone();
        args[k] = Tensor.FromArray(data, inputs[k].Shape);
        return F.Sum(F.Mul(f(args), weights)).Item();
    }

    /// <summary>A float64 tensor of values in [-1, 1), from a seeded .NET Random (independent of Philox).</summary>
    public static Tensor Random(int[] shape, int seed, double low = -1, double high = 1, bool requiresGrad = false)
    {
        var rng = new System.Random(seed);
        var data = new double[Shape.NumEl(shape)];
        for (int i = 0; i < data.Length; i++) data[i] = low + (high - low) * rng.NextDouble();
        var t = Tensor.FromArray(data, shape);
        t.RequiresGrad = requiresGrad;
        return t;
    }

    public static Tensor Leaf(int[] shape, int seed, double low = -1, double high = 1) => Random(shape, seed, low, high, requiresGrad: true);
}
