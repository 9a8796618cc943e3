using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace RawGan.Backends.Cpu;

// Each update runs whole vectors, then the same formula per element on the tail. The vector code keeps
// the scalar code's operations and their order (RyuJIT never fuses a multiply and an add on its own), so
// every element gets the same bits as the plain loop, and as the CUDA kernels, built with --fmad=false.
// Vector loads and stores are unchecked: the spans of one update have one length, checked when sliced.
// The loops are compiled optimised from the first call (see Pointwise.RunVector).
// A call's list is updated one tensor after the other: the reference for CUDA's one-launch updates.
public sealed partial class CpuBackend
{
    public void SgdStep(IReadOnlyList<SgdTensors> tensors, double lr, double momentum, double weightDecay, Tensor? hyper = null)
    {
        if (hyper is not null) lr = Span<float>(hyper)[0];
        foreach (var (param, grad, buffer, firstStep) in tensors)
            if (param.DType == DType.Float32) Sgd<float>(param, grad, buffer, lr, momentum, weightDecay, firstStep);
            else Sgd<double>(param, grad, buffer, lr, momentum, weightDecay, firstStep);
    }

    private static void Sgd<T>(Tensor param, Tensor grad, Tensor? buffer, double lr, double momentum, double weightDecay, bool firstStep)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T wd = T.CreateTruncating(weightDecay), mu = T.CreateTruncating(momentum), rate = T.CreateTruncating(lr);
        Vector<T> wdv = new(wd), muv = new(mu), ratev = new(rate);
        Chunks.Run(param.NumEl, param.NumEl, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (_, start, end) =>
        {
            var p = Span<T>(param)[start..end]; var g = Span<T>(grad)[start..end];
            var buf = buffer is null ? default : Span<T>(buffer)[start..end];
            ref T p0 = ref MemoryMarshal.GetReference(p), g0 = ref MemoryMarshal.GetReference(g), buf0 = ref MemoryMarshal.GetReference(buf);
            int i = 0;
            for (; i <= p.Length - Vector<T>.Count; i += Vector<T>.Count)
            {
                var pv = Vector.LoadUnsafe(ref p0, (nuint)i);
                var d = Vector.LoadUnsafe(ref g0, (nuint)i) + wdv * pv;
                if (buffer is not null)
                {
                    if (!firstStep) d = muv * Vector.LoadUnsafe(ref buf0, (nuint)i) + d;
                    d.StoreUnsafe(ref buf0, (nuint)i);
                }
                (pv - ratev * d).StoreUnsafe(ref p0, (nuint)i);
            }
            for (; i < p.Length; i++)
            {
                var d = g[i] + wd * p[i];
                if (buffer is not null)
                {
                    buf[i] = firstStep ? d : mu * buf[i] + d;
                    d = buf[i];
                }
                p[i] -= rate * d;
            }
        });
    }

    public void AdamStep(IReadOnlyList<AdamTensors> tensors, double lr, double beta1, double beta2, double eps, double weightDecay, int step, Tensor? hyper = null)
    {
        // Corrections in double, rounded once to the parameter's dtype; a capture's cell holds the float32 ones.
        var (stepSize, correction2) = AdamCorrections.For(lr, beta1, beta2, step);
        if (hyper is not null) (stepSize, correction2) = (Span<float>(hyper)[0], Span<float>(hyper)[1]);
        foreach (var (param, grad, m, v) in tensors)
            if (param.DType == DType.Float32) Adam<float>(param, grad, m, v, stepSize, correction2, beta1, beta2, eps, weightDecay);
            else Adam<double>(param, grad, m, v, stepSize, correction2, beta1, beta2, eps, weightDecay);
    }

    /// <summary>PyTorch's Adam: L2 weight decay added to the gradient, bias corrections applied as
    /// step size lr / (1 - b1^t) and denominator sqrt(v) / sqrt(1 - b2^t) + eps.</summary>
    private static void Adam<T>(Tensor param, Tensor grad, Tensor mt, Tensor vt, double stepSizeValue, double correction2Value,
        double beta1, double beta2, double eps, double weightDecay)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T b1 = T.CreateTruncating(beta1), b2 = T.CreateTruncating(beta2), wd = T.CreateTruncating(weightDecay);
        T stepSize = T.CreateTruncating(stepSizeValue);
        T correction2 = T.CreateTruncating(correction2Value);
        T epsilon = T.CreateTruncating(eps);
        Vector<T> b1v = new(b1), b2v = new(b2), wdv = new(wd), c1v = new(T.One - b1), c2v = new(T.One - b2);
        Vector<T> stepv = new(stepSize), corr2v = new(correction2), epsv = new(epsilon);
        Chunks.Run(param.NumEl, param.NumEl, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (_, start, end) =>
        {
            var p = Span<T>(param)[start..end]; var g = Span<T>(grad)[start..end];
            var m = Span<T>(mt)[start..end]; var v = Span<T>(vt)[start..end];
            ref T p0 = ref MemoryMarshal.GetReference(p), g0 = ref MemoryMarshal.GetReference(g);
            ref T m0 = ref MemoryMarshal.GetReference(m), v0 = ref MemoryMarshal.GetReference(v);
            int i = 0;
            for (; i <= p.Length - Vector<T>.Count; i += Vector<T>.Count)
            {
                var pv = Vector.LoadUnsafe(ref p0, (nuint)i);
                var d = Vector.LoadUnsafe(ref g0, (nuint)i) + wdv * pv;
                var mv = b1v * Vector.LoadUnsafe(ref m0, (nuint)i) + c1v * d;
                var vv = b2v * Vector.LoadUnsafe(ref v0, (nuint)i) + c2v * d * d;
                mv.StoreUnsafe(ref m0, (nuint)i);
                vv.StoreUnsafe(ref v0, (nuint)i);
                (pv - stepv * mv / (Vector.SquareRoot(vv) / corr2v + epsv)).StoreUnsafe(ref p0, (nuint)i);
            }
            for (; i < p.Length; i++)
            {
                var d = g[i] + wd * p[i];
                m[i] = b1 * m[i] + (T.One - b1) * d;
                v[i] = b2 * v[i] + (T.One - b2) * d * d;
                p[i] -= stepSize * m[i] / (T.Sqrt(v[i]) / correction2 + epsilon);
            }
        });
    }

    public void RmsPropStep(IReadOnlyList<RmsPropTensors> tensors, double lr, double alpha, double eps, double weightDecay, Tensor? hyper = null)
    {
        if (hyper is not null) lr = Span<float>(hyper)[0];
        foreach (var (param, grad, squareAvg) in tensors)
            if (param.DType == DType.Float32) RmsProp<float>(param, grad, squareAvg, lr, alpha, eps, weightDecay);
            else RmsProp<double>(param, grad, squareAvg, lr, alpha, eps, weightDecay);
    }

    private static void RmsProp<T>(Tensor param, Tensor grad, Tensor squareAvg, double lr, double alpha, double eps, double weightDecay)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T a = T.CreateTruncating(alpha), rate = T.CreateTruncating(lr), epsilon = T.CreateTruncating(eps), wd = T.CreateTruncating(weightDecay);
        Vector<T> av = new(a), cav = new(T.One - a), ratev = new(rate), epsv = new(epsilon), wdv = new(wd);
        Chunks.Run(param.NumEl, param.NumEl, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (_, start, end) =>
        {
            var p = Span<T>(param)[start..end]; var g = Span<T>(grad)[start..end]; var s = Span<T>(squareAvg)[start..end];
            ref T p0 = ref MemoryMarshal.GetReference(p), g0 = ref MemoryMarshal.GetReference(g), s0 = ref MemoryMarshal.GetReference(s);
            int i = 0;
            for (; i <= p.Length - Vector<T>.Count; i += Vector<T>.Count)
            {
                var pv = Vector.LoadUnsafe(ref p0, (nuint)i);
                var d = Vector.LoadUnsafe(ref g0, (nuint)i) + wdv * pv;
                var sv = av * Vector.LoadUnsafe(ref s0, (nuint)i) + cav * d * d;
                sv.StoreUnsafe(ref s0, (nuint)i);
                (pv - ratev * d / (Vector.SquareRoot(sv) + epsv)).StoreUnsafe(ref p0, (nuint)i);
            }
            for (; i < p.Length; i++)
            {
                var d = g[i] + wd * p[i];
                s[i] = a * s[i] + (T.One - a) * d * d;
                p[i] -= rate * d / (T.Sqrt(s[i]) + epsilon);
            }
        });
    }
}
