namespace RawGan.Backends;

public enum BinaryOp { Add, Sub, Mul, Div }

public enum UnaryOp { Neg, Exp, Log, Sqrt, Abs }

/// <summary>The activations a bias add can be fused with: leaky relu (its parameter the slope; 0 is
/// relu) and elu (its parameter alpha). The values are kernels/bias_activation.cu's.</summary>
public enum FusedActivation { LeakyRelu = 0, Elu = 1 }

/// <summary>y = x + s, y = x * s, y = x ^ s (s a host scalar).</summary>
public enum ScalarOp { Add, Mul, Pow }

/// <summary>Convolution geometry shared by conv2d and conv_transpose2d (PyTorch's meaning).</summary>
public readonly record struct Conv2dArgs(
    int StrideH = 1, int StrideW = 1,
    int PadH = 0, int PadW = 0,
    int DilationH = 1, int DilationW = 1,
    int Groups = 1)
{
    /// <summary>Stride 1, no padding, no dilation, one group (new() would otherwise zero every field).</summary>
    public Conv2dArgs() : this(1, 1) { }
}

/// <summary>Pooling window; max pooling pads with -inf, average pooling counts the padding.</summary>
public readonly record struct Pool2dArgs(int KernelH, int KernelW, int StrideH, int StrideW, int PadH = 0, int PadW = 0);

/// <summary>
/// The contract every backend fulfils. Autograd and layers call only these methods, so a
/// backend is a small, separately testable unit (tinygrad's device contract).
///
/// Conventions:
/// - Outputs come first, gradients are named d...: <c>LeakyReluBackward(dx, dy, x, slope)</c>.
/// - Outputs are preallocated by the caller, contiguous, and overwritten (never accumulated). An output
///   may be the same tensor as an input of an elementwise call (in place: gradient accumulation does it).
/// - Inputs are contiguous unless a method says it takes strided views.
/// - All tensors of one call share this backend and one dtype.
/// - Images are NCHW; conv weights OIHW (groups: O x I/g x kH x kW).
/// - Losses are elementwise here; the mean is a <see cref="Sum"/> plus a scale. Their backward
///   reads the upstream gradient from a one-element tensor <c>dLoss</c> so no host sync is needed.
/// </summary>
public interface IBackend
{
    Device Device { get; }

    // ---- memory ----
    Storage Allocate(DType dtype, int count);
    void CopyFromHost(Tensor dst, ReadOnlySpan<byte> src);
    /// <summary>dst[i] = values[src[i]]: host bytes (image pixels) into a contiguous float32 tensor, with
    /// one float per byte value (256). A GPU copies the bytes and widens them on the device.</summary>
    void CopyFromHostUInt8(Tensor dst, ReadOnlySpan<byte> src, ReadOnlySpan<float> values);
    void CopyToHost(Tensor src, Span<byte> dst);
    /// <summary>Queues a copy of contiguous src to host memory owned by the backend and returns without
    /// waiting (CopyToHost waits for all queued work); the read's Wait waits for this copy alone. The values
    /// are src's at the copy's place in the queue: work queued later does not change them.</summary>
    PendingRead StartCopyToHost(Tensor src);
    void Fill(Tensor dst, double value);
    /// <summary>dst[i] = src[i] for any strides of both (same shape): gather, scatter, broadcast copies.</summary>
    void Copy(Tensor dst, Tensor src);
    /// <summary>Converts between dtypes; both contiguous, same element count.</summary>
    void Cast(Tensor dst, Tensor src);

    // ---- elementwise ----
    /// <summary>z = a op b; a and b are strided views already broadcast to z's shape (stride 0 = broadcast).</summary>
    void Binary(BinaryOp op, Tensor z, Tensor a, Tensor b);
    void Unary(UnaryOp op, Tensor y, Tensor x);
    void Scalar(ScalarOp op, Tensor y, Tensor x, double s);

    // ---- activations ----
    void ReluForward(Tensor y, Tensor x);
    void ReluBackward(Tensor dx, Tensor dy, Tensor x);
    void LeakyReluForward(Tensor y, Tensor x, double slope);
    void LeakyReluBackward(Tensor dx, Tensor dy, Tensor x, double slope);
    void EluForward(Tensor y, Tensor x, double alpha);
    void EluBackward(Tensor dx, Tensor dy, Tensor x, double alpha);
    void TanhForward(Tensor y, Tensor x);
    void TanhBackward(Tensor dx, Tensor dy, Tensor y);
    void SigmoidForward(Tensor y, Tensor x);
    void SigmoidBackward(Tensor dx, Tensor dy, Tensor y);
    void SoftplusForward(Tensor y, Tensor x);
    void SoftplusBackward(Tensor dx, Tensor dy, Tensor x);

    // ---- reductions and products ----
    /// <summary>x viewed as [outer, n, inner] is summed over n into y [outer, inner].</summary>
    void Sum(Tensor y, Tensor x, int outer, int n, int inner);
    /// <summary>c[b] = alpha * op(a[b]) @ op(b[b]) + beta * c[b] with a, b, c 3-D [batch, rows, cols];
    /// a or b may have batch 1 (broadcast). op(t) = t^T when trans is set.</summary>
    void Matmul(Tensor c, Tensor a, Tensor b, bool transA, bool transB, double alpha = 1, double beta = 0);

    // ---- convolution (transposed conv = BackwardData; its backward = Forward + BackwardFilter) ----
    void Conv2dForward(Tensor y, Tensor x, Tensor w, Conv2dArgs args);
    void Conv2dBackwardData(Tensor dx, Tensor dy, Tensor w, Conv2dArgs args);
    void Conv2dBackwardFilter(Tensor dw, Tensor dy, Tensor x, Conv2dArgs args);

    /// <summary>y = act(x + bias[c]) per channel c of NCHW: the bias add and activation after a convolution,
    /// one pass.</summary>
    void BiasActivationForward(Tensor y, Tensor x, Tensor bias, FusedActivation act, double parameter);
    /// <summary>dx = dy act'(x + bias[c]) (x: the forward's input, without the bias); dBias[c] = the sum of
    /// dx over channel c.</summary>
    void BiasActivationBackward(Tensor dx, Tensor dBias, Tensor dy, Tensor x, Tensor bias, FusedActivation act, double parameter);

    // ---- normalisation (per channel of NCHW; 1d inputs come as [N, C, L, 1]) ----
    /// <summary>Batch statistics; saves mean and 1/sqrt(var + eps) for the backward; updates running
    /// stats (PyTorch: unbiased variance, running = (1 - momentum) * running + momentum * batch).</summary>
    void BatchNormForwardTraining(Tensor y, Tensor saveMean, Tensor saveInvStd, Tensor x, Tensor gamma, Tensor beta,
        Tensor? runningMean, Tensor? runningVar, double momentum, double eps);
    void BatchNormForwardInference(Tensor y, Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar, double eps);
    void BatchNormBackward(Tensor dx, Tensor dGamma, Tensor dBeta, Tensor dy, Tensor x, Tensor gamma, Tensor saveMean, Tensor saveInvStd);
    /// <summary>Training-mode batch norm followed by leaky relu (slope 0: relu) in one pass over x:
    /// y = z &gt; 0 ? z : slope z, z the normalised x; statistics and running stats as BatchNormForwardTraining.</summary>
    void BatchNormLeakyReluForwardTraining(Tensor y, Tensor saveMean, Tensor saveInvStd, Tensor x, Tensor gamma, Tensor beta,
        Tensor? runningMean, Tensor? runningVar, double momentum, double eps, double slope);
    /// <summary>The backward of the fused pair, from x: z is recomputed from the saved statistics, gamma and
    /// beta to know where leaky relu's slope applies, so the normalised tensor is never stored.</summary>
    void BatchNormLeakyReluBackward(Tensor dx, Tensor dGamma, Tensor dBeta, Tensor dy, Tensor x, Tensor gamma, Tensor beta,
        Tensor saveMean, Tensor saveInvStd, double slope);

    // ---- resampling and pooling ----
    void UpsampleNearestForward(Tensor y, Tensor x, int scale);
    void UpsampleNearestBackward(Tensor dx, Tensor dy, int scale);
    void MaxPool2dForward(Tensor y, Tensor x, Pool2dArgs args);
    /// <summary>The gradient goes to the first maximum of each window (PyTorch's choice).</summary>
    void MaxPool2dBackward(Tensor dx, Tensor dy, Tensor x, Pool2dArgs args);
    void AvgPool2dForward(Tensor y, Tensor x, Pool2dArgs args);
    void AvgPool2dBackward(Tensor dx, Tensor dy, Pool2dArgs args);

    // ---- random numbers: Philox 4x32-10, identical streams on every backend (see Random/Philox.cs) ----
    // offsetBase: null, or a cell of a step being captured (StepCapture.Draw): two float32 elements
    // holding the generator's offset at the step's start as a ulong; offset is then relative to it.
    void RandomUniform(Tensor y, ulong seed, ulong offset, double low, double high, Tensor? offsetBase = null);
    void RandomNormal(Tensor y, ulong seed, ulong offset, double mean, double std, Tensor? offsetBase = null);
    /// <summary>mask = 0 where the uniform draw u &lt; p, else 1 / (1 - p).</summary>
    void DropoutMask(Tensor mask, ulong seed, ulong offset, double p, Tensor? offsetBase = null);

    // ---- losses (elementwise; target has the input's shape) ----
    /// <summary>-(t log p + (1 - t) log(1 - p)) with each log clamped at -100, as PyTorch.</summary>
    void BceForward(Tensor loss, Tensor p, Tensor target);
    void BceBackward(Tensor dp, Tensor dLoss, Tensor p, Tensor target, double scale);
    /// <summary>max(x, 0) - x t + log(1 + exp(-|x|)): stable for any logit.</summary>
    void BceWithLogitsForward(Tensor loss, Tensor x, Tensor target);
    void BceWithLogitsBackward(Tensor dx, Tensor dLoss, Tensor x, Tensor target, double scale);
    void L1Forward(Tensor loss, Tensor x, Tensor target);
    void L1Backward(Tensor dx, Tensor dLoss, Tensor x, Tensor target, double scale);
    void MseForward(Tensor loss, Tensor x, Tensor target);
    void MseBackward(Tensor dx, Tensor dLoss, Tensor x, Tensor target, double scale);

    // ---- fused optimizer updates, in place on param and state (PyTorch semantics) ----
    // One call updates every parameter of the list with the same hyper-parameters (and, for Adam, the
    // same step count): the CUDA backend does it in one launch (multi-tensor kernels), the CPU one
    // tensor after the other. The tensors of one entry share a length; each entry its own.
    // hyper: null, or a float32 cell of a step being captured (StepCapture.Cell) whose values replace
    // the ones that change between steps: Adam's AdamCorrections (step size, correction2), SGD's and
    // RMSprop's lr.
    void SgdStep(IReadOnlyList<SgdTensors> tensors, double lr, double momentum, double weightDecay, Tensor? hyper = null);
    void AdamStep(IReadOnlyList<AdamTensors> tensors, double lr, double beta1, double beta2, double eps, double weightDecay, int step, Tensor? hyper = null);
    /// <summary>Torch7 optim.rmsprop = PyTorch RMSprop (uncentred): m = a m + (1 - a) g^2; p -= lr g / (sqrt(m) + eps).</summary>
    void RmsPropStep(IReadOnlyList<RmsPropTensors> tensors, double lr, double alpha, double eps, double weightDecay, Tensor? hyper = null);

    /// <summary>Waits until all queued work is done (a no-op on the CPU).</summary>
    void Synchronize();
}
