using System.Numerics;

namespace RawGan.Backends.Cpu;

public sealed partial class CpuBackend
{
    public void BceForward(Tensor loss, Tensor p, Tensor target) => Pointwise.Run<BceFn>(loss, p, target, 0);
    public void BceBackward(Tensor dp, Tensor dLoss, Tensor p, Tensor target, double scale) =>
        Pointwise.Run<BceGradFn>(dp, p, target, Upstream(dLoss) * scale);
    public void BceWithLogitsForward(Tensor loss, Tensor x, Tensor target) => Pointwise.Run<BceLogitsFn>(loss, x, target, 0);
    public void BceWithLogitsBackward(Tensor dx, Tensor dLoss, Tensor x, Tensor target, double scale) =>
        Pointwise.Run<BceLogitsGradFn>(dx, x, target, Upstream(dLoss) * scale);
    public void L1Forward(Tensor loss, Tensor x, Tensor target) => Pointwise.Run<L1Fn>(loss, x, target, 0);
    public void L1Backward(Tensor dx, Tensor dLoss, Tensor x, Tensor target, double scale) =>
        Pointwise.Run<L1GradFn>(dx, x, target, Upstream(dLoss) * scale);
    public void MseForward(Tensor loss, Tensor x, Tensor target) => Pointwise.Run<MseFn>(loss, x, target, 0);
    public void MseBackward(Tensor dx, Tensor dLoss, Tensor x, Tensor target, double scale) =>
        Pointwise.Run<MseGradFn>(dx, x, target, Upstream(dLoss) * scale);

    /// <summary>The one-element upstream gradient, read in place: this memory is the backend's own, so
    /// it is no read-back (Item() would count as one under ReadBackGuard).</summary>
    private static double Upstream(Tensor dLoss) => dLoss.DType == DType.Float32 ? Span<float>(dLoss)[0] : Span<double>(dLoss)[0];

    // Forward fns read (input, target, _); backward fns read (input, target, upstream * scale).
    private struct BceFn : IPointwise
    {
        public T Apply<T>(T p, T t, T _) where T : unmanaged, IFloatingPointIeee754<T>
        {
            var floor = T.CreateTruncating(-100.0);
            return -(t * T.Max(T.Log(p), floor) + (T.One - t) * T.Max(T.Log(T.One - p), floor));
        }
    }

    private struct BceGradFn : IPointwise
    {
        public T Apply<T>(T p, T t, T g) where T : unmanaged, IFloatingPointIeee754<T> =>
            g * (p - t) / T.Max((T.One - p) * p, T.CreateTruncating(1e-12));
    }

    private struct BceLogitsFn : IPointwise
    {
        public T Apply<T>(T x, T t, T _) where T : unmanaged, IFloatingPointIeee754<T> =>
            T.Max(x, T.Zero) - x * t + T.LogP1(T.Exp(-T.Abs(x)));
    }

    private struct BceLogitsGradFn : IPointwise
    {
        public T Apply<T>(T x, T t, T g) where T : unmanaged, IFloatingPointIeee754<T> => g * (Sigmoid(x) - t);
    }

    private struct L1Fn : IPointwise { public T Apply<T>(T x, T t, T _) where T : unmanaged, IFloatingPointIeee754<T> => T.Abs(x - t); }
    private struct L1GradFn : IPointwise { public T Apply<T>(T x, T t, T g) where T : unmanaged, IFloatingPointIeee754<T> => g * T.CreateTruncating(T.Sign(x - t)); }
    private struct MseFn : IPointwise { public T Apply<T>(T x, T t, T _) where T : unmanaged, IFloatingPointIeee754<T> => (x - t) * (x - t); }
    private struct MseGradFn : IPointwise { public T Apply<T>(T x, T t, T g) where T : unmanaged, IFloatingPointIeee754<T> => g * T.CreateTruncating(2) * (x - t); }
}
