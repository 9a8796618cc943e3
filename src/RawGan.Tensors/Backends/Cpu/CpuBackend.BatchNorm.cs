using System.Numerics;

namespace RawGan.Backends.Cpu;

// Batch normalisation per channel of [N, C, ...]: a channel's elements are N planes of
// HW = numel / (N C) contiguous values. Channels are independent, so they are spread over cores;
// every per-channel sum is accumulated in double, two passes (mean, then squared deviations) so
// a float32 variance does not cancel catastrophically.
public sealed partial class CpuBackend
{
    public void BatchNormForwardTraining(Tensor y, Tensor saveMean, Tensor saveInvStd, Tensor x, Tensor gamma, Tensor beta,
        Tensor? runningMean, Tensor? runningVar, double momentum, double eps)
    {
        if (y.DType == DType.Float32) BnTraining<float>(y, saveMean, saveInvStd, x, gamma, beta, runningMean, runningVar, momentum, eps);
        else BnTraining<double>(y, saveMean, saveInvStd, x, gamma, beta, runningMean, runningVar, momentum, eps);
    }

    public void BatchNormForwardInference(Tensor y, Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar, double eps)
    {
        if (y.DType == DType.Float32) BnInference<float>(y, x, gamma, beta, runningMean, runningVar, eps);
        else BnInference<double>(y, x, gamma, beta, runningMean, runningVar, eps);
    }

    public void BatchNormBackward(Tensor dx, Tensor dGamma, Tensor dBeta, Tensor dy, Tensor x, Tensor gamma, Tensor saveMean, Tensor saveInvStd)
    {
        if (dx.DType == DType.Float32) BnBackward<float>(dx, dGamma, dBeta, dy, x, gamma, saveMean, saveInvStd);
        else BnBackward<double>(dx, dGamma, dBeta, dy, x, gamma, saveMean, saveInvStd);
    }

    private static (int N, int C, int HW) BnLayout(Tensor x) =>
        (x.Shape[0], x.Shape[1], x.NumEl / Math.Max(x.Shape[0] * x.Shape[1], 1));

    private static void BnTraining<T>(Tensor y, Tensor saveMean, Tensor saveInvStd, Tensor x, Tensor gamma, Tensor beta,
        Tensor? runningMean, Tensor? runningVar, double momentum, double eps)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (n, c, hw) = BnLayout(x);
        var (ya, yo) = Raw<T>(y); var (xa, xo) = Raw<T>(x);
        var (ga, go) = Raw<T>(gamma); var (ba, bo) = Raw<T>(beta);
        var (ma, mo) = Raw<T>(saveMean); var (ia, io) = Raw<T>(saveInvStd);
        var (rma, rmo) = runningMean is null ? (null, 0) : Raw<T>(runningMean);
        var (rva, rvo) = runningVar is null ? (null, 0) : Raw<T>(runningVar);
        long m = (long)n * hw;
        Chunks.Run(c, x.NumEl, (_, start, end) =>
        {
            for (int ch = start; ch < end; ch++)
            {
                double sum = 0;
                for (int i = 0; i < n; i++)
                    foreach (var v in xa.AsSpan(xo + (i * c + ch) * hw, hw)) sum += double.CreateTruncating(v);
                double mean = sum / m;
                double squares = 0;
                for (int i = 0; i < n; i++)
                    foreach (var v in xa.AsSpan(xo + (i * c + ch) * hw, hw))
                    {
                        double d = double.CreateTruncating(v) - mean;
                        squares += d * d;
                    }
                double variance = squares / m;
                double invStd = 1 / Math.Sqrt(variance + eps);
                ma[mo + ch] = T.CreateTruncating(mean);
                ia[io + ch] = T.CreateTruncating(invStd);
                if (rma is not null)
                    rma[rmo + ch] = T.CreateTruncating((1 - momentum) * double.CreateTruncating(rma[rmo + ch]) + momentum * mean);
                if (rva is not null)
                {
                    // The running variance estimates the population's, hence Bessel's correction m / (m - 1).
                    double unbiased = m > 1 ? squares / (m - 1) : double.NaN;
                    rva[rvo + ch] = T.CreateTruncating((1 - momentum) * double.CreateTruncating(rva[rvo + ch]) + momentum * unbiased);
                }
                Normalize(xa, ya, xo, yo, n, c, hw, ch, mean, double.CreateTruncating(ga[go + ch]) * invStd, double.CreateTruncating(ba[bo + ch]));
            }
        });
    }

    private static void BnInference<T>(Tensor y, Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar, double eps)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (n, c, hw) = BnLayout(x);
        var (ya, yo) = Raw<T>(y); var (xa, xo) = Raw<T>(x);
        var g = Span<T>(gamma); var b = Span<T>(beta); var rm = Span<T>(runningMean); var rv = Span<T>(runningVar);
        var means = new double[c];
        var scales = new double[c];
        var betas = new double[c];
        for (int ch = 0; ch < c; ch++)
        {
            means[ch] = double.CreateTruncating(rm[ch]);
            scales[ch] = double.CreateTruncating(g[ch]) / Math.Sqrt(double.CreateTruncating(rv[ch]) + eps);
            betas[ch] = double.CreateTruncating(b[ch]);
        }
        Chunks.Run(c, x.NumEl, (_, start, end) =>
        {
            for (int ch = start; ch < end; ch++) Normalize(xa, ya, xo, yo, n, c, hw, ch, means[ch], scales[ch], betas[ch]);
        });
    }

    /// <summary>y = (x - mean) scale + beta over the elements of one channel, in double: a float32 mean is
    /// off by up to half an ulp of its magnitude, which a channel with a large mean and small spread
    /// would otherwise see as an error of that size in every normalised value.</summary>
    private static void Normalize<T>(T[] xa, T[] ya, int xo, int yo, int n, int c, int hw, int ch, double mean, double scale, double beta)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < n; i++)
        {
            var src = xa.AsSpan(xo + (i * c + ch) * hw, hw);
            var dst = ya.AsSpan(yo + (i * c + ch) * hw, hw);
            for (int k = 0; k < hw; k++) dst[k] = T.CreateTruncating((double.CreateTruncating(src[k]) - mean) * scale + beta);
        }
    }

    /// <summary>With xhat = (x - mean) invstd over m elements of a channel: dbeta = sum dy, dgamma = sum dy xhat,
    /// dx = gamma invstd (dy - dbeta / m - xhat dgamma / m), the mean and variance being functions of x.
    /// saveMean holds the tensor's dtype, so in float32 xhat carries the mean's rounding (half an ulp of
    /// |mean|): negligible unless a channel's mean is thousands of times its spread.</summary>
    private static void BnBackward<T>(Tensor dx, Tensor dGamma, Tensor dBeta, Tensor dy, Tensor x, Tensor gamma, Tensor saveMean, Tensor saveInvStd)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (n, c, hw) = BnLayout(x);
        var (dxa, dxo) = Raw<T>(dx); var (dya, dyo) = Raw<T>(dy); var (xa, xo) = Raw<T>(x);
        var (ga, go) = Raw<T>(gamma); var (ma, mo) = Raw<T>(saveMean); var (ia, io) = Raw<T>(saveInvStd);
        var (dga, dgo) = Raw<T>(dGamma); var (dba, dbo) = Raw<T>(dBeta);
        long m = (long)n * hw;
        Chunks.Run(c, x.NumEl, (_, start, end) =>
        {
            for (int ch = start; ch < end; ch++)
            {
                double mean = double.CreateTruncating(ma[mo + ch]), invStd = double.CreateTruncating(ia[io + ch]);
                double sumDy = 0, sumDyXhat = 0;
                for (int i = 0; i < n; i++)
                {
                    var xs = xa.AsSpan(xo + (i * c + ch) * hw, hw);
                    var g = dya.AsSpan(dyo + (i * c + ch) * hw, hw);
                    for (int k = 0; k < hw; k++)
                    {
                        double d = double.CreateTruncating(g[k]);
                        sumDy += d;
                        sumDyXhat += d * (double.CreateTruncating(xs[k]) - mean);
                    }
                }
                sumDyXhat *= invStd;
                dba[dbo + ch] = T.CreateTruncating(sumDy);
                dga[dgo + ch] = T.CreateTruncating(sumDyXhat);
                // dx = a dy + b (x - mean) + d with the per-channel constants folded once; in double for
                // the reason given at Normalize.
                double a = double.CreateTruncating(ga[go + ch]) * invStd;
                double b = -a * invStd * sumDyXhat / m, shift = -a * sumDy / m;
                for (int i = 0; i < n; i++)
                {
                    var xs = xa.AsSpan(xo + (i * c + ch) * hw, hw);
                    var g = dya.AsSpan(dyo + (i * c + ch) * hw, hw);
                    var o = dxa.AsSpan(dxo + (i * c + ch) * hw, hw);
                    for (int k = 0; k < hw; k++)
                        o[k] = T.CreateTruncating(a * double.CreateTruncating(g[k]) + b * (double.CreateTruncating(xs[k]) - mean) + shift);
                }
            }
        });
    }
}
