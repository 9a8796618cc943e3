namespace RawGan.Nn;

/// <summary>
/// Batch normalisation per channel (PyTorch's _BatchNorm): y = (x - mean) / sqrt(var + eps) * weight + bias.
/// In training mode the batch's statistics are used and the running ones updated as
/// running = (1 - momentum) running + momentum batch (unbiased variance); in eval mode the running
/// ones are used. Without running statistics (trackRunningStats false) batch statistics are used
/// in both modes. Parameters weight [C] (ones), bias [C] (zeros); buffers running_mean [C],
/// running_var [C], num_batches_tracked [] (a float64 scalar: PyTorch's is int64, and there is no
/// integer dtype yet; counts stay exact up to 2^53).
/// </summary>
public abstract class BatchNorm : Module
{
    protected BatchNorm(int numFeatures, double eps, double momentum, bool affine, bool trackRunningStats, DType dtype, Device? device)
    {
        if (numFeatures <= 0) throw new ArgumentOutOfRangeException(nameof(numFeatures), numFeatures, "the number of features must be positive");
        if (eps <= 0) throw new ArgumentOutOfRangeException(nameof(eps), eps, "eps must be positive");
        if (momentum is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(momentum), momentum, "momentum must be in [0, 1]");
        NumFeatures = numFeatures;
        Eps = eps;
        Momentum = momentum;
        if (affine)
        {
            Weight = RegisterParameter("weight", Tensor.Ones([numFeatures], dtype, device));
            Bias = RegisterParameter("bias", Tensor.Zeros([numFeatures], dtype, device));
        }
        if (trackRunningStats)
        {
            RunningMean = RegisterBuffer("running_mean", Tensor.Zeros([numFeatures], dtype, device));
            RunningVar = RegisterBuffer("running_var", Tensor.Ones([numFeatures], dtype, device));
            // A host-side count where the device stores no float64 (see Module.To).
            var counterDevice = device is { } d && d.Stores(DType.Float64) ? d : Device.Cpu;
            NumBatchesTracked = RegisterBuffer("num_batches_tracked", Tensor.Zeros([], DType.Float64, counterDevice));
        }
    }

    public int NumFeatures { get; }
    public double Eps { get; }
    public double Momentum { get; }
    public Tensor? Weight { get; }
    public Tensor? Bias { get; }
    public Tensor? RunningMean { get; }
    public Tensor? RunningVar { get; }
    public Tensor? NumBatchesTracked { get; }

    /// <summary>Running mean 0, variance 1, no batches seen.</summary>
    public void ResetRunningStats()
    {
        RunningMean?.Fill(0);
        RunningVar?.Fill(1);
        NumBatchesTracked?.Fill(0);
    }

    private void CountBatch() => NumBatchesTracked!.Backend.Scalar(Backends.ScalarOp.Add, NumBatchesTracked, NumBatchesTracked, 1);

    public sealed override Tensor Forward(Tensor x)
    {
        CheckInput(x);
        return Normalize(x, slope: null);
    }

    /// <summary>LeakyReLU(slope)(Forward(x)) in one op (slope 0: ReLU) in training mode; see
    /// F.BatchNormLeakyRelu. <see cref="Sequential"/> calls it for such a pair of layers.</summary>
    internal Tensor ForwardLeakyRelu(Tensor x, double slope)
    {
        if (!Training) throw new InvalidOperationException("the fused batch norm + leaky relu runs in training mode only");
        CheckInput(x);
        return Normalize(x, slope);
    }

    /// <summary>Throws if x has the wrong rank for this layer.</summary>
    protected abstract void CheckInput(Tensor x);

    /// <summary>Normalises x [N, C, ...] per channel of dim 1, then applies leaky relu when a slope is given
    /// (training only).</summary>
    private Tensor Normalize(Tensor x, double? slope)
    {
        if (x.Shape[1] != NumFeatures)
            throw new ArgumentException($"{GetType().Name}({NumFeatures}) got input of shape {RawGan.Shape.Format(x.Shape)}: dimension 1 must be {NumFeatures}");
        bool useBatchStats = Training || RunningMean is null;
        if (Training && NumBatchesTracked is not null)
        {
            CountBatch();
            // On a GPU the count is host work (Module.To): a replayed step must repeat it.
            if (NumBatchesTracked.Device == Device.Cpu) StepCapture.Recording?.OnReplay(CountBatch);
        }
        // Without affine parameters the functional form still takes a scale and shift: the identity
        // ones, made per call so they follow the input's device and dtype.
        var weight = Weight ?? Tensor.Ones([NumFeatures], x.DType, x.Device);
        var bias = Bias ?? Tensor.Zeros([NumFeatures], x.DType, x.Device);
        return slope is double leaky
            ? F.BatchNormLeakyRelu(x, weight, bias, RunningMean, RunningVar, leaky, Momentum, Eps)
            : F.BatchNorm(x, weight, bias, RunningMean, RunningVar, useBatchStats, Momentum, Eps);
    }
}
