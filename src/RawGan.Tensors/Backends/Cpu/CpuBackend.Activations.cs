using System.Numerics;

namespace RawGan.Backends.Cpu;

public sealed partial class CpuBackend
{
    public void ReluForward(Tensor y, Tensor x) => Pointwise.RunVector<ReluFn>(y, x, x, 0);
    public void ReluBackward(Tensor dx, Tensor dy, Tensor x) => Pointwise.RunVector<ReluGradFn>(dx, dy, x, 0);
    public void LeakyReluForward(Tensor y, Tensor x, double slope) => Pointwise.RunVector<LeakyReluFn>(y, x, x, slope);
    public void LeakyReluBackward(Tensor dx, Tensor dy, Tensor x, double slope) => Pointwise.RunVector<LeakyReluGradFn>(dx, dy, x, slope);
    public void EluForward(Tensor y, Tensor x, double alpha) => Pointwise.RunVector<EluFn>(y, x, x, alpha);
    public void EluBackward(Tensor dx, Tensor dy, Tensor x, double alpha) => Pointwise.RunVector<EluGradFn>(dx, dy, x, alpha);
    public void TanhForward(Tensor y, Tensor x) => Pointwise.Run<TanhFn>(y, x, x, 0);
    public void TanhBackward(Tensor dx, Tensor dy, Tensor y) => Pointwise.Run<TanhGradFn>(dx, dy, y, 0);
    public void SigmoidForward(Tensor y, Tensor x) => Pointwise.Run<SigmoidFn>(y, x, x, 0);
    public void SigmoidBackward(Tensor dx, Tensor dy, Tensor y) => Pointwise.Run<SigmoidGradFn>(dx, dy, y, 0);
    public void SoftplusForward(Tensor y, Tensor x) => Pointwise.Run<SoftplusFn>(y, x, x, 0);
    public void SoftplusBackward(Tensor dx, Tensor dy, Tensor x) => Pointwise.Run<SoftplusGradFn>(dx, dy, x, 0);

    // Forward fns read (x, _, param); backward fns read (dy, x or y, param).
    private struct TanhFn : IPointwise { public T Apply<T>(T x, T _, T p) where T : unmanaged, IFloatingPointIeee754<T> => T.Tanh(x); }
    private struct TanhGradFn : IPointwise { public T Apply<T>(T dy, T y, T p) where T : unmanaged, IFloatingPointIeee754<T> => dy * (T.One - y * y); }
    private struct SigmoidFn : IPointwise { public T Apply<T>(T x, T _, T p) where T : unmanaged, IFloatingPointIeee754<T> => Sigmoid(x); }
    private struct SigmoidGradFn : IPointwise { public T Apply<T>(T dy, T y, T p) where T : unmanaged, IFloatingPointIeee754<T> => dy * y * (T.One - y); }
    // Softplus follows PyTorch (beta 1, threshold 20): linear above the threshold.
    private struct SoftplusFn : IPointwise { public T Apply<T>(T x, T _, T p) where T : unmanaged, IFloatingPointIeee754<T> => x > T.CreateTruncating(20) ? x : T.Max(x, T.Zero) + T.LogP1(T.Exp(-T.Abs(x))); }
    private struct SoftplusGradFn : IPointwise { public T Apply<T>(T dy, T x, T p) where T : unmanaged, IFloatingPointIeee754<T> => x > T.CreateTruncating(20) ? dy : dy * Sigmoid(x); }

    // The kinked activations in SIMD too: a mask from x > 0 (false for -0 and NaN, as the scalar
    // comparison) selects between the two branches, both computed.
    private struct ReluFn : IVectorPointwise
    {
        public T Apply<T>(T x, T _, T p) where T : unmanaged, IFloatingPointIeee754<T> => x > T.Zero ? x : T.Zero;
        public Vector<T> Apply<T>(Vector<T> x, Vector<T> _, Vector<T> p) where T : unmanaged, IFloatingPointIeee754<T> =>
            Vector.ConditionalSelect(Vector.GreaterThan(x, Vector<T>.Zero), x, Vector<T>.Zero);
    }

    private struct ReluGradFn : IVectorPointwise
    {
        public T Apply<T>(T dy, T x, T p) where T : unmanaged, IFloatingPointIeee754<T> => x > T.Zero ? dy : T.Zero;
        public Vector<T> Apply<T>(Vector<T> dy, Vector<T> x, Vector<T> p) where T : unmanaged, IFloatingPointIeee754<T> =>
            Vector.ConditionalSelect(Vector.GreaterThan(x, Vector<T>.Zero), dy, Vector<T>.Zero);
    }

    private struct LeakyReluFn : IVectorPointwise
    {
        public T Apply<T>(T x, T _, T slope) where T : unmanaged, IFloatingPointIeee754<T> => x > T.Zero ? x : x * slope;
        public Vector<T> Apply<T>(Vector<T> x, Vector<T> _, Vector<T> slope) where T : unmanaged, IFloatingPointIeee754<T> =>
            Vector.ConditionalSelect(Vector.GreaterThan(x, Vector<T>.Zero), x, x * slope);
    }

    private struct LeakyReluGradFn : IVectorPointwise
    {
        public T Apply<T>(T dy, T x, T slope) where T : unmanaged, IFloatingPointIeee754<T> => x > T.Zero ? dy : dy * slope;
        public Vector<T> Apply<T>(Vector<T> dy, Vector<T> x, Vector<T> slope) where T : unmanaged, IFloatingPointIeee754<T> =>
            Vector.ConditionalSelect(Vector.GreaterThan(x, Vector<T>.Zero), dy, dy * slope);
    }

    // ELU's e^x from ExpSimd, in both forms and in the fused bias + ELU (CpuBackend.BiasActivation.cs).
    private struct EluFn : IVectorPointwise
    {
        public T Apply<T>(T x, T _, T alpha) where T : unmanaged, IFloatingPointIeee754<T> => x > T.Zero ? x : alpha * (ExpSimd.Exp(x) - T.One);
        public Vector<T> Apply<T>(Vector<T> x, Vector<T> _, Vector<T> alpha) where T : unmanaged, IFloatingPointIeee754<T> =>
            Vector.ConditionalSelect(Vector.GreaterThan(x, Vector<T>.Zero), x, alpha * (ExpSimd.Exp(x) - Vector<T>.One));
    }

    private struct EluGradFn : IVectorPointwise
    {
        public T Apply<T>(T dy, T x, T alpha) where T : unmanaged, IFloatingPointIeee754<T> => x > T.Zero ? dy : dy * alpha * ExpSimd.Exp(x);
        public Vector<T> Apply<T>(Vector<T> dy, Vector<T> x, Vector<T> alpha) where T : unmanaged, IFloatingPointIeee754<T> =>
            Vector.ConditionalSelect(Vector.GreaterThan(x, Vector<T>.Zero), dy, dy * alpha * ExpSimd.Exp(x));
    }

    /// <summary>Stable on both tails: never computes e^x for large positive x.</summary>
    internal static T Sigmoid<T>(T x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (x >= T.Zero) return T.One / (T.One + T.Exp(-x));
        var e = T.Exp(x);
        return e / (T.One + e);
    }
}
