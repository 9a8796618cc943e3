using System.Numerics;

namespace RawGan.Backends.Cpu;

// A convolution's bias add fused with the activation after it, per channel of [N, C, H, W]: the
// same element formulas as the bias add (z = x + b, rounded to the dtype) followed by
// CpuBackend.Activations' LeakyRelu or Elu, so the fused op gives the pair's bits. Channels are
// independent and spread over cores; the bias gradient is a double sum per channel.
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
        var planes = ChannelPlanes.Of(x);
        var p = T.CreateTruncating(parameter);
        Chunks.Run(planes.C, x.NumEl, (_, start, end) =>
        {
            ReadOnlySpan<T> xs = Span<T>(x), b = Span<T>(bias);
            var ys = Span<T>(y);
            for (int ch = start; ch < end; ch++)
                for (int i = 0; i < planes.N; i++)
                {
                    int at = planes.Start(i, ch);
                    for (int k = at; k < at + planes.HW; k++)
                    {
                        var z = xs[k] + b[ch];
                        ys[k] = z > T.Zero ? z : act == FusedActivation.Elu ? p * (T.Exp(z) - T.One) : z * p;
                    }
                }
        });
    }

    private static void BiasActBackward<T>(Tensor dx, Tensor dBias, Tensor dy, Tensor x, Tensor bias, FusedActivation act, double parameter)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var planes = ChannelPlanes.Of(x);
        var p = T.CreateTruncating(parameter);
        Chunks.Run(planes.C, x.NumEl, (_, start, end) =>
        {
            ReadOnlySpan<T> xs = Span<T>(x), dys = Span<T>(dy), b = Span<T>(bias);
            Span<T> dxs = Span<T>(dx), db = Span<T>(dBias);
            for (int ch = start; ch < end; ch++)
            {
                double sum = 0;
                for (int i = 0; i < planes.N; i++)
                {
                    int at = planes.Start(i, ch);
                    for (int k = at; k < at + planes.HW; k++)
                    {
                        var z = xs[k] + b[ch];
                        var g = z > T.Zero ? dys[k] : act == FusedActivation.Elu ? dys[k] * p * T.Exp(z) : dys[k] * p;
                        dxs[k] = g;
                        sum += double.CreateTruncating(g);
                    }
                }
                db[ch] = T.CreateTruncating(sum);
            }
        });
    }
}
