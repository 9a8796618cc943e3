using System.Numerics;

namespace RawGan.Backends.Cpu;

// Batch normalisation per channel of [N, C, ...]: a channel's elements are N planes of
// HW = numel / (N C) contiguous values (ChannelPlanes). Channels are independent, so they are spread
// over cores; every per-channel sum is accumulated in double, two passes (mean, then squared
// deviations) so a float32 variance does not cancel catastrophically. The loops are in BatchNormSimd.
// The fused batch norm + leaky relu runs the same loops with the activation's slope (plain batch
// norm is slope 1): its backward recomputes z = (x - mean) gamma invstd + beta from the saved
// statistics to know where leaky relu's slope applied.
public sealed partial class CpuBackend
{
    public void BatchNormForwardTraining(Tensor y, Tensor saveMean, Tensor saveInvStd, Tensor x, Tensor gamma, Tensor beta,
        Tensor? runningMean, Tensor? runningVar, double momentum, double eps) =>
        BatchNormLeakyReluForwardTraining(y, saveMean, saveInvStd, x, gamma, beta, runningMean, runningVar, momentum, eps, slope: 1);

    public void BatchNormLeakyReluForwardTraining(Tensor y, Tensor saveMean, Tensor saveInvStd, Tensor x, Tensor gamma, Tensor beta,
        Tensor? runningMean, Tensor? runningVar, double momentum, double eps, double slope)
    {
        if (y.DType == DType.Float32) BnTraining<float>(y, saveMean, saveInvStd, x, gamma, beta, runningMean, runningVar, momentum, eps, slope);
        else BnTraining<double>(y, saveMean, saveInvStd, x, gamma, beta, runningMean, runningVar, momentum, eps, slope);
    }

    public void BatchNormForwardInference(Tensor y, Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar, double eps)
    {
        if (y.DType == DType.Float32) BnInference<float>(y, x, gamma, beta, runningMean, runningVar, eps);
        else BnInference<double>(y, x, gamma, beta, runningMean, runningVar, eps);
    }

    public void BatchNormBackward(Tensor dx, Tensor dGamma, Tensor dBeta, Tensor dy, Tensor x, Tensor gamma, Tensor saveMean, Tensor saveInvStd)
    {
        if (dx.DType == DType.Float32) BnBackward<float>(dx, dGamma, dBeta, dy, x, gamma, null, saveMean, saveInvStd, 1);
        else BnBackward<double>(dx, dGamma, dBeta, dy, x, gamma, null, saveMean, saveInvStd, 1);
    }

    public void BatchNormLeakyReluBackward(Tensor dx, Tensor dGamma, Tensor dBeta, Tensor dy, Tensor x, Tensor gamma, Tensor beta,
        Tensor saveMean, Tensor saveInvStd, double slope)
    {
        if (dx.DType == DType.Float32) BnBackward<float>(dx, dGamma, dBeta, dy, x, gamma, beta, saveMean, saveInvStd, slope);
        else BnBackward<double>(dx, dGamma, dBeta, dy, x, gamma, beta, saveMean, saveInvStd, slope);
    }

    private static void BnTraining<T>(Tensor y, Tensor saveMean, Tensor saveInvStd, Tensor x, Tensor gamma, Tensor beta,
        Tensor? runningMean, Tensor? runningVar, double momentum, double eps, double slope)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var planes = ChannelPlanes.Of(x);
        long m = planes.Count;
        Chunks.Run(planes.C, x.NumEl, (_, start, end) =>
        {
            ReadOnlySpan<T> xs = Span<T>(x), g = Span<T>(gamma), b = Span<T>(beta);
            Span<T> ys = Span<T>(y), means = Span<T>(saveMean), invStds = Span<T>(saveInvStd);
            var rm = runningMean is null ? default : Span<T>(runningMean);
            var rv = runningVar is null ? default : Span<T>(runningVar);
            for (int ch = start; ch < end; ch++)
            {
                double mean = BatchNormSimd.Sum(xs, planes, ch) / m;
                double squares = BatchNormSimd.SquaredDeviations(xs, planes, ch, mean);
                double variance = squares / m;
                double invStd = 1 / Math.Sqrt(variance + eps);
                means[ch] = T.CreateTruncating(mean);
                invStds[ch] = T.CreateTruncating(invStd);
                if (runningMean is not null)
                    rm[ch] = T.CreateTruncating((1 - momentum) * double.CreateTruncating(rm[ch]) + momentum * mean);
                if (runningVar is not null)
                {
                    // The running variance estimates the population's, hence Bessel's correction m / (m - 1).
                    double unbiased = m > 1 ? squares / (m - 1) : double.NaN;
                    rv[ch] = T.CreateTruncating((1 - momentum) * double.CreateTruncating(rv[ch]) + momentum * unbiased);
                }
                BatchNormSimd.Normalize(ys, xs, planes, ch, mean, double.CreateTruncating(g[ch]) * invStd, double.CreateTruncating(b[ch]), slope);
            }
        });
    }

    private static void BnInference<T>(Tensor y, Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar, double eps)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var planes = ChannelPlanes.Of(x);
        var g = Span<T>(gamma); var b = Span<T>(beta); var rm = Span<T>(runningMean); var rv = Span<T>(runningVar);
        var means = new double[planes.C];
        var scales = new double[planes.C];
        var betas = new double[planes.C];
        for (int ch = 0; ch < planes.C; ch++)
        {
            means[ch] = double.CreateTruncating(rm[ch]);
            scales[ch] = double.CreateTruncating(g[ch]) / Math.Sqrt(double.CreateTruncating(rv[ch]) + eps);
            betas[ch] = double.CreateTruncating(b[ch]);
        }
        Chunks.Run(planes.C, x.NumEl, (_, start, end) =>
        {
            ReadOnlySpan<T> xs = Span<T>(x);
            var ys = Span<T>(y);
            for (int ch = start; ch < end; ch++) BatchNormSimd.Normalize(ys, xs, planes, ch, means[ch], scales[ch], betas[ch]);
        });
    }

    /// <summary>With xhat = (x - mean) invstd over m elements of a channel and g = dy through leaky relu's
    /// slope (g = dy for plain batch norm, slope 1, beta null): dbeta = sum g, dgamma = sum g xhat,
    /// dx = gamma invstd (g - dbeta / m - xhat dgamma / m), the mean and variance being functions of x.
    /// saveMean holds the tensor's dtype, so in float32 xhat carries the mean's rounding (half an ulp of
    /// |mean|): negligible unless a channel's mean is thousands of times its spread. The same rounding can
    /// put a z within it of 0 on the other side of leaky relu's kink than the forward saw; the two slopes
    /// are then both valid subgradients of a point that sits on the kink to float32 precision.</summary>
    private static void BnBackward<T>(Tensor dx, Tensor dGamma, Tensor dBeta, Tensor dy, Tensor x, Tensor gamma, Tensor? beta,
        Tensor saveMean, Tensor saveInvStd, double slope)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var planes = ChannelPlanes.Of(x);
        long m = planes.Count;
        Chunks.Run(planes.C, x.NumEl, (_, start, end) =>
        {
            ReadOnlySpan<T> xs = Span<T>(x), dys = Span<T>(dy), g = Span<T>(gamma), means = Span<T>(saveMean), invStds = Span<T>(saveInvStd);
            ReadOnlySpan<T> betas = beta is null ? default : Span<T>(beta);
            Span<T> dxs = Span<T>(dx), dg = Span<T>(dGamma), db = Span<T>(dBeta);
            for (int ch = start; ch < end; ch++)
            {
                double mean = double.CreateTruncating(means[ch]), invStd = double.CreateTruncating(invStds[ch]);
                // z = (x - mean) a + shiftZ is the normalised value; the input gradient's dy term is a too.
                double a = double.CreateTruncating(g[ch]) * invStd, shiftZ = beta is null ? 0 : double.CreateTruncating(betas[ch]);
                var (sumDy, sumDyXhat) = BatchNormSimd.GradientSums(dys, xs, planes, ch, mean, a, shiftZ, slope);
                sumDyXhat *= invStd;
                db[ch] = T.CreateTruncating(sumDy);
                dg[ch] = T.CreateTruncating(sumDyXhat);
                // dx = a g + b (x - mean) + shift with the per-channel constants folded once; in double for
                // the reason given at BatchNormSimd.Normalize.
                double b = -a * invStd * sumDyXhat / m, shift = -a * sumDy / m;
                BatchNormSimd.InputGradient(dxs, dys, xs, planes, ch, a, b, mean, shift, shiftZ, slope);
            }
        });
    }
}
