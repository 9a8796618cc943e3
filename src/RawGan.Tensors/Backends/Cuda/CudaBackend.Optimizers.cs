using RawGan.Backends.Cuda.Kernels;

namespace RawGan.Backends.Cuda;

// Fused optimizer steps (kernels/adam.cu, sgd.cu, rmsprop.cu): one launch updates a whole list of
// parameters in place (multi-tensor kernels, kernels/multi_tensor.cuh), hyper-parameters as arguments
// (or, in a captured step, the changing ones from a cell), so a step never waits for the GPU.
public sealed partial class CudaBackend
{
    public void SgdStep(IReadOnlyList<SgdTensors> tensors, double lr, double momentum, double weightDecay, Tensor? hyper = null)
    {
        Enter();
        // The first-step flag is one per launch. A list mixes fresh and used buffers only when momentum
        // was turned on mid-run or a checkpoint had no buffers: then it takes two launches.
        foreach (bool first in (ReadOnlySpan<bool>)[true, false])
        {
            var arrays = tensors.Where(t => t.FirstStep == first).Select(t => Arrays("SgdStep", t.Param, t.Grad, t.MomentumBuffer)).ToArray();
            OptimizerKernels.LaunchSgd(Kernels, arrays, PtrOrNull(hyper), lr, momentum, weightDecay, first);
        }
    }

    public void AdamStep(IReadOnlyList<AdamTensors> tensors, double lr, double beta1, double beta2, double eps, double weightDecay, int step, Tensor? hyper = null)
    {
        Enter();
        var arrays = tensors.Select(t => Arrays("AdamStep", t.Param, t.Grad, t.ExpAvg, t.ExpAvgSq)).ToArray();
        OptimizerKernels.LaunchAdam(Kernels, arrays, PtrOrNull(hyper), lr, beta1, beta2, eps, weightDecay, step);
    }

    public void RmsPropStep(IReadOnlyList<RmsPropTensors> tensors, double lr, double alpha, double eps, double weightDecay, Tensor? hyper = null)
    {
        Enter();
        var arrays = tensors.Select(t => Arrays("RmsPropStep", t.Param, t.Grad, t.SquareAvg)).ToArray();
        OptimizerKernels.LaunchRmsProp(Kernels, arrays, PtrOrNull(hyper), lr, alpha, eps, weightDecay);
    }

    /// <summary>One parameter's arrays for a launch, once each is checked contiguous and of the parameter's length.</summary>
    private static TensorArrays Arrays(string op, Tensor param, Tensor grad, Tensor? state0 = null, Tensor? state1 = null)
    {
        foreach (var t in (ReadOnlySpan<Tensor?>)[param, grad, state0, state1])
        {
            if (t is null) continue;
            if (!Dense(t)) throw new ArgumentException($"{op}: {t} must be contiguous");
            if (t.NumEl != param.NumEl) throw new ArgumentException($"{op}: {t} does not match the parameter {param}");
        }
        return new TensorArrays(param.NumEl, Ptr(param), Ptr(grad), PtrOrNull(state0), PtrOrNull(state1));
    }
}
