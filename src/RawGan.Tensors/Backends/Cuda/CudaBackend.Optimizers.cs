using RawGan.Backends.Cuda.Kernels;

namespace RawGan.Backends.Cuda;

// Fused optimizer steps (kernels/adam.cu, sgd.cu, rmsprop.cu): one launch per parameter tensor,
// in place, hyper-parameters as arguments (or, in a captured step, the changing ones from a cell),
// so a step never waits for the GPU.
public sealed partial class CudaBackend
{
    public void SgdStep(Tensor param, Tensor grad, Tensor? momentumBuffer, double lr, double momentum, double weightDecay, bool firstStep, Tensor? hyper = null)
    {
        Enter();
        CheckState("SgdStep", param, grad, momentumBuffer ?? param);
        if (param.NumEl == 0) return;
        OptimizerKernels.LaunchSgd(Kernels, Ptr(param), Ptr(grad), PtrOrNull(momentumBuffer), PtrOrNull(hyper), lr, momentum, weightDecay, firstStep, param.NumEl);
    }

    public void AdamStep(Tensor param, Tensor grad, Tensor m, Tensor v, double lr, double beta1, double beta2, double eps, double weightDecay, int step, Tensor? hyper = null)
    {
        Enter();
        CheckState("AdamStep", param, grad, m, v);
        if (param.NumEl == 0) return;
        OptimizerKernels.LaunchAdam(Kernels, Ptr(param), Ptr(grad), Ptr(m), Ptr(v), PtrOrNull(hyper), lr, beta1, beta2, eps, weightDecay, step, param.NumEl);
    }

    public void RmsPropStep(Tensor param, Tensor grad, Tensor squareAvg, double lr, double alpha, double eps, double weightDecay, Tensor? hyper = null)
    {
        Enter();
        CheckState("RmsPropStep", param, grad, squareAvg);
        if (param.NumEl == 0) return;
        OptimizerKernels.LaunchRmsProp(Kernels, Ptr(param), Ptr(grad), Ptr(squareAvg), PtrOrNull(hyper), lr, alpha, eps, weightDecay, param.NumEl);
    }

    private static void CheckState(string op, Tensor param, params Tensor[] others)
    {
        foreach (var t in others.Prepend(param))
        {
            if (!Dense(t)) throw new ArgumentException($"{op}: {t} must be contiguous");
            if (t.NumEl != param.NumEl) throw new ArgumentException($"{op}: {t} does not match the parameter {param}");
        }
    }
}
