using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace RawGan.Backends.Cpu;

// A convolution's bias add fused with the activation after it, per channel of [N, C, H, W]: the
// same element formulas as the bias add (z = x + b, rounded to the dtype) followed by
// CpuBackend.Activations' LeakyReluFn or EluFn, in SIMD over each plane with a scalar tail that
// gives the same bits, so the fused op gives the pair's bits. Channels are independent and spread
// over cores; the bias gradient is a double sum per channel, in double vector lanes and then across
// them (an order fixed by the shape and the vector width, as BatchNormSimd's sums).
public sealed partial class CpuBackend
{
    public void BiasActivationForward(Tensor y, Tensor x, Tensor bias, FusedActivation act, double parameter)
    {
        if (y.DType == DType.Float32) BiasActForward<float>(y, x, bias, act, parameter);
        else BiasActForward<double>(y, x, bias, act, parameter);
    }

    public void BiasActivationBackward(Tensor dx, Tensor dBias, Tensor dy, Tensor x, Tensor bias, FusedActivation act, double parameter)
    {
        if (dx.DType == DType.Float32) BiasActBackward<float>(dx, dBias, dy, x, bias, act, parameter);
        else BiasActBackward<double>(dx, dBias, dy, x, bias, act, parameter);
    }

    private static void BiasActForward<T>(Tensor y, Tensor x, Tensor bias, FusedActivation act, double parameter)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (act == FusedActivation.Elu) BiasActForward<T, EluFn>(y, x, bias, parameter);
        else BiasActForward<T, LeakyReluFn>(y, x, bias, parameter);
    }

    private static void BiasActBackward<T>(Tensor dx, Tensor dBias, Tensor dy, Tensor x, Tensor bias, FusedActivation act, double parameter)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (act == FusedActivation.Elu) BiasActBackward<T, EluGradFn>(dx, dBias, dy, x, bias, parameter);
        else BiasActBackward<T, LeakyReluGradFn>(dx, dBias, dy, x, bias, parameter);
    }

    /// <summary>y = act(x + b[channel]); act reads (z, z, parameter).</summary>
    private static void BiasActForward<T, TAct>(Tensor y, Tensor x, Tensor bias, double parameter)
        where T : unmanaged, IFloatingPointIeee754<T> where TAct : struct, IVectorPointwise
    {
        var planes = ChannelPlanes.Of(x);
        var p = T.CreateTruncating(parameter);
        var act = default(TAct);
        Chunks.Run(planes.C, x.NumEl, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (_, start, end) =>
        {
            ReadOnlySpan<T> xs = Span<T>(x), b = Span<T>(bias);
            var ys = Span<T>(y);
            var pv = new Vector<T>(p);
            for (int ch = start; ch < end; ch++)
            {
                var bv = new Vector<T>(b[ch]);
                for (int i = 0; i < planes.N; i++)
                {
                    var xp = xs.Slice(planes.Start(i, ch), planes.HW);
                    var yp = ys.Slice(planes.Start(i, ch), planes.HW);
                    ref T x0 = ref MemoryMarshal.GetReference(xp);
                    ref T y0 = ref MemoryMarshal.GetReference(yp);
                    int k = 0;
                    for (; k <= yp.Length - Vector<T>.Count; k += Vector<T>.Count)
                    {
                        var z = Vector.LoadUnsafe(ref x0, (nuint)k) + bv;
                        act.Apply(z, z, pv).StoreUnsafe(ref y0, (nuint)k);
                    }
                    for (; k < yp.Length; k++)
                    {
                        var z = xp[k] + b[ch];
                        yp[k] = act.Apply(z, z, p);
                    }
                }
            }
        });
    }

    /// <summary>dx = act'(x + b[channel]) dy, dBias[channel] = the sum of dx over N, H, W; act reads (dy, z, parameter).</summary>
    private static void BiasActBackward<T, TGrad>(Tensor dx, Tensor dBias, Tensor dy, Tensor x, Tensor bias, double parameter)
        where T : unmanaged, IFloatingPointIeee754<T> where TGrad : struct, IVectorPointwise
    {
        var planes = ChannelPlanes.Of(x);
        var p = T.CreateTruncating(parameter);
        var grad = default(TGrad);
        Chunks.Run(planes.C, x.NumEl, [MethodImpl(MethodImplOptions.AggressiveOptimization)] (_, start, end) =>
        {
            ReadOnlySpan<T> xs = Span<T>(x), dys = Span<T>(dy), b = Span<T>(bias);
            Span<T> dxs = Span<T>(dx), db = Span<T>(dBias);
            var pv = new Vector<T>(p);
            for (int ch = start; ch < end; ch++)
            {
                var bv = new Vector<T>(b[ch]);
                double sum = 0;
                Vector<double> lanes0 = default, lanes1 = default; // the vector part of the sum, lane by lane
                for (int i = 0; i < planes.N; i++)
                {
                    int at = planes.Start(i, ch);
                    ReadOnlySpan<T> xp = xs.Slice(at, planes.HW), dyp = dys.Slice(at, planes.HW);
                    var dxp = dxs.Slice(at, planes.HW);
                    ref T x0 = ref MemoryMarshal.GetReference(xp);
                    ref T dy0 = ref MemoryMarshal.GetReference(dyp);
                    ref T dx0 = ref MemoryMarshal.GetReference(dxp);
                    int k = 0;
                    for (; k <= dxp.Length - Vector<T>.Count; k += Vector<T>.Count)
                    {
                        var z = Vector.LoadUnsafe(ref x0, (nuint)k) + bv;
                        var g = grad.Apply(Vector.LoadUnsafe(ref dy0, (nuint)k), z, pv);
                        g.StoreUnsafe(ref dx0, (nuint)k);
                        AddWidened(g, ref lanes0, ref lanes1);
                    }
                    for (; k < dxp.Length; k++)
                    {
                        var g = grad.Apply(dyp[k], xp[k] + b[ch], p);
                        dxp[k] = g;
                        sum += double.CreateTruncating(g);
                    }
                }
                db[ch] = T.CreateTruncating(sum + Vector.Sum(lanes0 + lanes1));
            }
        });
    }

    /// <summary>Adds g's lanes in double: a float vector widened into two double vectors, a double one into the first.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void AddWidened<T>(Vector<T> g, ref Vector<double> lanes0, ref Vector<double> lanes1) where T : unmanaged
    {
        if (typeof(T) == typeof(float))
        {
            Vector.Widen(Vector.As<T, float>(g), out var low, out var high);
            lanes0 += low;
            lanes1 += high;
        }
        else lanes0 += Vector.As<T, double>(g);
    }
}
