using System.Runtime.CompilerServices;
using RawGan.Backends.Cuda.Interop;
using RawGan.Backends.Cuda.Kernels;

namespace RawGan.Backends.Cuda;

// Batch normalization through cuDNN, spatial mode (one mean and variance per channel over N, H, W).
// cuDNN matches the CPU reference's (PyTorch's) semantics: saveInvStd = 1 / sqrt(biased var + eps);
// running = (1 - momentum) running + momentum batch, the variance unbiased; null running stats
// are skipped. cuDNN 9's CUDNN_BN_MIN_EPSILON is 0, so any positive eps is passed as given.
// Batch norm fused with leaky relu has the same semantics and runs our kernels (below).
public sealed partial class CudaBackend
{
    private readonly Dictionary<(int N, int C, int H, int W), (cudnnTensorDescriptor_t X, cudnnTensorDescriptor_t Stats)> _bnDescriptors = [];

    // cuDNN's backward takes eps again, "the same as the forward's". The contract's backward has
    // no eps, so the forward remembers it beside the saveInvStd storage it wrote.
    private readonly ConditionalWeakTable<Storage, StrongBox<double>> _bnEpsilon = [];

    public unsafe void BatchNormForwardTraining(Tensor y, Tensor saveMean, Tensor saveInvStd, Tensor x, Tensor gamma, Tensor beta,
        Tensor? runningMean, Tensor? runningVar, double momentum, double eps)
    {
        Enter();
        var (xDesc, statsDesc) = BatchNormDescriptors("BatchNormForwardTraining", x, y);
        CheckChannels("BatchNormForwardTraining", x, saveMean, saveInvStd, gamma, beta, runningMean, runningVar);
        float one = 1, zero = 0;
        using var timed = Profiler.Active ? Profiler.Time($"cudnn batch norm forward training {RawGan.Shape.Format(x.Shape)}") : default;
        Cudnn.Check(Cudnn.cudnnBatchNormalizationForwardTraining(CudnnHandle, cudnnBatchNormMode_t.CUDNN_BATCHNORM_SPATIAL,
            &one, &zero, xDesc, Ptr(x), xDesc, Ptr(y), statsDesc, Ptr(gamma), Ptr(beta),
            momentum, PtrOrNull(runningMean), PtrOrNull(runningVar), eps, Ptr(saveMean), Ptr(saveInvStd)));
        _bnEpsilon.AddOrUpdate(saveInvStd.Storage, new StrongBox<double>(eps));
    }

    public unsafe void BatchNormForwardInference(Tensor y, Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar, double eps)
    {
        Enter();
        var (xDesc, statsDesc) = BatchNormDescriptors("BatchNormForwardInference", x, y);
        CheckChannels("BatchNormForwardInference", x, gamma, beta, runningMean, runningVar);
        float one = 1, zero = 0;
        using var timed = Profiler.Active ? Profiler.Time($"cudnn batch norm forward inference {RawGan.Shape.Format(x.Shape)}") : default;
        Cudnn.Check(Cudnn.cudnnBatchNormalizationForwardInference(CudnnHandle, cudnnBatchNormMode_t.CUDNN_BATCHNORM_SPATIAL,
            &one, &zero, xDesc, Ptr(x), xDesc, Ptr(y), statsDesc, Ptr(gamma), Ptr(beta), Ptr(runningMean), Ptr(runningVar), eps));
    }

    public unsafe void BatchNormBackward(Tensor dx, Tensor dGamma, Tensor dBeta, Tensor dy, Tensor x, Tensor gamma, Tensor saveMean, Tensor saveInvStd)
    {
        Enter();
        var (xDesc, statsDesc) = BatchNormDescriptors("BatchNormBackward", x, dy, dx);
        CheckChannels("BatchNormBackward", x, dGamma, dBeta, gamma, saveMean, saveInvStd);
        // With the saved statistics given, cuDNN uses them; eps is passed as the forward used it
        // (PyTorch's default when the statistics came from elsewhere).
        double eps = _bnEpsilon.TryGetValue(saveInvStd.Storage, out var saved) ? saved.Value : 1e-5;
        float one = 1, zero = 0;
        using var timed = Profiler.Active ? Profiler.Time($"cudnn batch norm backward {RawGan.Shape.Format(x.Shape)}") : default;
        Cudnn.Check(Cudnn.cudnnBatchNormalizationBackward(CudnnHandle, cudnnBatchNormMode_t.CUDNN_BATCHNORM_SPATIAL,
            &one, &zero, &one, &zero, xDesc, Ptr(x), xDesc, Ptr(dy), xDesc, Ptr(dx),
            statsDesc, Ptr(gamma), Ptr(dGamma), Ptr(dBeta), eps, Ptr(saveMean), Ptr(saveInvStd)));
    }

    // Batch norm + leaky relu: our kernels (kernels/batch_norm_leaky_relu.cu). cuDNN fuses an
    // activation into batch norm only for NHWC half tensors, and only relu.

    public void BatchNormLeakyReluForwardTraining(Tensor y, Tensor saveMean, Tensor saveInvStd, Tensor x, Tensor gamma, Tensor beta,
        Tensor? runningMean, Tensor? runningVar, double momentum, double eps, double slope)
    {
        Enter();
        var g = PerChannelSplits("BatchNormLeakyReluForwardTraining", x, y);
        CheckChannels("BatchNormLeakyReluForwardTraining", x, saveMean, saveInvStd, gamma, beta, runningMean, runningVar);
        if (x.NumEl == 0) return;
        BatchNormLeakyReluKernels.LaunchForward(Kernels, Allocator, g, Ptr(y), Ptr(x), new(Ptr(saveMean), Ptr(saveInvStd), Ptr(gamma), Ptr(beta)),
            PtrOrNull(runningMean), PtrOrNull(runningVar), momentum, eps, (float)slope);
    }

    public void BatchNormLeakyReluBackward(Tensor dx, Tensor dGamma, Tensor dBeta, Tensor dy, Tensor x, Tensor gamma, Tensor beta,
        Tensor saveMean, Tensor saveInvStd, double slope)
    {
        Enter();
        var g = PerChannelSplits("BatchNormLeakyReluBackward", x, dy, dx);
        CheckChannels("BatchNormLeakyReluBackward", x, dGamma, dBeta, gamma, beta, saveMean, saveInvStd);
        if (x.NumEl == 0) return;
        BatchNormLeakyReluKernels.LaunchBackward(Kernels, Allocator, g, Ptr(dx), Ptr(dGamma), Ptr(dBeta), Ptr(dy), Ptr(x),
            new(Ptr(saveMean), Ptr(saveInvStd), Ptr(gamma), Ptr(beta)), (float)slope);
    }

    /// <summary>The checked operands' per-channel reduction plan (the fused ops' kernels).</summary>
    private ChannelSplits PerChannelSplits(string op, Tensor x, params Tensor[] sameShape)
    {
        CheckNchwAlike(op, x, sameShape);
        return ChannelSplits.Plan(Kernels, x.Shape[0], x.Shape[1], x.Shape[2] * x.Shape[3]);
    }

    /// <summary>The NCHW descriptor of x (shared by y, dy, dx) and the derived 1xCx1x1 one, per shape.</summary>
    private (cudnnTensorDescriptor_t X, cudnnTensorDescriptor_t Stats) BatchNormDescriptors(string op, Tensor x, params Tensor[] sameShape)
    {
        CheckNchwAlike(op, x, sameShape);
        var key = (x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]);
        lock (_cudnnGate)
        {
            if (_bnDescriptors.TryGetValue(key, out var descriptors)) return descriptors;
            Cudnn.Check(Cudnn.cudnnCreateTensorDescriptor(out var xDesc));
            Cudnn.Check(Cudnn.cudnnSetTensor4dDescriptor(xDesc, cudnnTensorFormat_t.CUDNN_TENSOR_NCHW, cudnnDataType_t.CUDNN_DATA_FLOAT, key.Item1, key.Item2, key.Item3, key.Item4));
            Cudnn.Check(Cudnn.cudnnCreateTensorDescriptor(out var statsDesc));
            Cudnn.Check(Cudnn.cudnnDeriveBNTensorDescriptor(statsDesc, xDesc, cudnnBatchNormMode_t.CUDNN_BATCHNORM_SPATIAL));
            descriptors = (xDesc, statsDesc);
            _bnDescriptors[key] = descriptors;
            return descriptors;
        }
    }

    /// <summary>x is a contiguous NCHW tensor and each of sameShape is a contiguous tensor of its shape
    /// (batch norm and the fused per-channel ops).</summary>
    private static void CheckNchwAlike(string op, Tensor x, Tensor[] sameShape)
    {
        if (x.Rank != 4) throw new ArgumentException($"{op}: {x} must be NCHW ([N, C, L, 1] for 1-d inputs)");
        foreach (var t in sameShape.Prepend(x))
        {
            if (!Dense(t)) throw new ArgumentException($"{op}: {t} must be contiguous");
            if (!t.Shape.AsSpan().SequenceEqual(x.Shape)) throw new ArgumentException($"{op}: {t} must have the input's shape {RawGan.Shape.Format(x.Shape)}");
        }
    }

    private static void CheckChannels(string op, Tensor x, params Tensor?[] perChannel)
    {
        foreach (var t in perChannel)
            if (t is not null && (t.NumEl != x.Shape[1] || !Dense(t)))
                throw new ArgumentException($"{op}: {t} must hold one value per channel ({x.Shape[1]}), contiguous");
    }
}
