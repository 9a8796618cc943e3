using System.Numerics;

namespace RawGan.Backends.Cpu;

public sealed partial class CpuBackend
{
    public void SgdStep(Tensor param, Tensor grad, Tensor? momentumBuffer, double lr, double momentum, double weightDecay, bool firstStep)
    {
        if (param.DType == DType.Float32) Sgd<float>(param, grad, momentumBuffer, lr, momentum, weightDecay, firstStep);
        else Sgd<double>(param, grad, momentumBuffer, lr, momentum, weightDecay, firstStep);
    }

    private static void Sgd<T>(Tensor param, Tensor grad, Tensor? buffer, double lr, double momentum, double weightDecay, bool firstStep)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var p = Span<T>(param); var g = Span<T>(grad);
        var buf = buffer is null ? default : Span<T>(buffer);
        T wd = T.CreateTruncating(weightDecay), mu = T.CreateTruncating(momentum), rate = T.CreateTruncating(lr);
        for (int i = 0; i < p.Length; i++)
        {
            var d = g[i] + wd * p[i];
            if (buffer is not null)
            {
                buf[i] = firstStep ? d : mu * buf[i] + d;
                d = buf[i];
            }
            p[i] -= rate * d;
        }
    }

    public void AdamStep(Tensor param, Tensor grad, Tensor m, Tensor v, double lr, double beta1, double beta2, double eps, double weightDecay, int step)
    {
        if (param.DType == DType.Float32) Adam<float>(param, grad, m, v, lr, beta1, beta2, eps, weightDecay, step);
        else Adam<double>(param, grad, m, v, lr, beta1, beta2, eps, weightDecay, step);
    }

    /// <summary>PyTorch's Adam: L2 weight decay added to the gradient, bias corrections applied as
    /// step size lr / (1 - b1^t) and denominator sqrt(v) / sqrt(1 - b2^t) + eps.</summary>
    private static void Adam<T>(Tensor param, Tensor grad, Tensor mt, Tensor vt, double lr, double beta1, double beta2, double eps, double weightDecay, int step)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var p = Span<T>(param); var g = Span<T>(grad); var m = Span<T>(mt); var v = Span<T>(vt);
        T b1 = T.CreateTruncating(beta1), b2 = T.CreateTruncating(beta2), wd = T.CreateTruncating(weightDecay);
        T stepSize = T.CreateTruncating(lr / (1 - Math.Pow(beta1, step)));
        T correction2 = T.CreateTruncating(Math.Sqrt(1 - Math.Pow(beta2, step)));
        T epsilon = T.CreateTruncating(eps);
        for (int i = 0; i < p.Length; i++)
        {
            var d = g[i] + wd * p[i];
            m[i] = b1 * m[i] + (T.One - b1) * d;
            v[i] = b2 * v[i] + (T.One - b2) * d * d;
            p[i] -= stepSize * m[i] / (T.Sqrt(v[i]) / correction2 + epsilon);
        }
    }

    public void RmsPropStep(Tensor param, Tensor grad, Tensor squareAvg, double lr, double alpha, double eps, double weightDecay)
    {
        if (param.DType == DType.Float32) RmsProp<float>(param, grad, squareAvg, lr, alpha, eps, weightDecay);
        else RmsProp<double>(param, grad, squareAvg, lr, alpha, eps, weightDecay);
    }

    private static void RmsProp<T>(Tensor param, Tensor grad, Tensor squareAvg, double lr, double alpha, double eps, double weightDecay)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var p = Span<T>(param); var g = Span<T>(grad); var s = Span<T>(squareAvg);
        T a = T.CreateTruncating(alpha), rate = T.CreateTruncating(lr), epsilon = T.CreateTruncating(eps), wd = T.CreateTruncating(weightDecay);
        for (int i = 0; i < p.Length; i++)
        {
            var d = g[i] + wd * p[i];
            s[i] = a * s[i] + (T.One - a) * d * d;
            p[i] -= rate * d / (T.Sqrt(s[i]) + epsilon);
        }
    }
}
