using RawGan.Backends.Cuda.Kernels;

namespace RawGan.Backends.Cuda;

// Pointwise ops: binary (contiguous float4 kernels, or strided for broadcast views), unary,
// scalar, activations and losses. Kernels: kernels/binary.cu, unary.cu, scalar.cu, relu.cu, ...
public sealed partial class CudaBackend
{
    public void Binary(BinaryOp op, Tensor z, Tensor a, Tensor b)
    {
        Enter();
        if (z.NumEl == 0) return;
        if (z.IsContiguous && a.IsContiguous && b.IsContiguous)
            ElementwiseKernels.LaunchZip(Kernels, ElementwiseKernels.Binary(op), Ptr(z), Ptr(a), Ptr(b), z.NumEl);
        else
            ElementwiseKernels.LaunchBinaryStrided(Kernels, op, Ptr(z), Ptr(a), Ptr(b), StridedIndex.For(z, a, b), z.NumEl);
    }

    public void Unary(UnaryOp op, Tensor y, Tensor x) => Map(ElementwiseKernels.Unary(op), y, x);

    public void Scalar(ScalarOp op, Tensor y, Tensor x, double s) => Map(ElementwiseKernels.Scalar(op), y, x, (float)s);

    public void ReluForward(Tensor y, Tensor x) => Map(ActivationKernels.ReluForward, y, x);
    public void ReluBackward(Tensor dx, Tensor dy, Tensor x) => Zip(ActivationKernels.ReluBackward, dx, dy, x);
    public void LeakyReluForward(Tensor y, Tensor x, double slope) => Map(ActivationKernels.LeakyReluForward, y, x, (float)slope);
    public void LeakyReluBackward(Tensor dx, Tensor dy, Tensor x, double slope) => Zip(ActivationKernels.LeakyReluBackward, dx, dy, x, (float)slope);
    public void EluForward(Tensor y, Tensor x, double alpha) => Map(ActivationKernels.EluForward, y, x, (float)alpha);
    public void EluBackward(Tensor dx, Tensor dy, Tensor x, double alpha) => Zip(ActivationKernels.EluBackward, dx, dy, x, (float)alpha);
    public void TanhForward(Tensor y, Tensor x) => Map(ActivationKernels.TanhForward, y, x);
    public void TanhBackward(Tensor dx, Tensor dy, Tensor y) => Zip(ActivationKernels.TanhBackward, dx, dy, y);
    public void SigmoidForward(Tensor y, Tensor x) => Map(ActivationKernels.SigmoidForward, y, x);
    public void SigmoidBackward(Tensor dx, Tensor dy, Tensor y) => Zip(ActivationKernels.SigmoidBackward, dx, dy, y);
    public void SoftplusForward(Tensor y, Tensor x) => Map(ActivationKernels.SoftplusForward, y, x);
    public void SoftplusBackward(Tensor dx, Tensor dy, Tensor x) => Zip(ActivationKernels.SoftplusBackward, dx, dy, x);

    public void BceForward(Tensor loss, Tensor p, Tensor target) => Zip(LossKernels.BceForward, loss, p, target);
    public void BceBackward(Tensor dp, Tensor dLoss, Tensor p, Tensor target, double scale) => LossBackward(LossKernels.BceBackward, dp, dLoss, p, target, scale);
    public void BceWithLogitsForward(Tensor loss, Tensor x, Tensor target) => Zip(LossKernels.BceWithLogitsForward, loss, x, target);
    public void BceWithLogitsBackward(Tensor dx, Tensor dLoss, Tensor x, Tensor target, double scale) => LossBackward(LossKernels.BceWithLogitsBackward, dx, dLoss, x, target, scale);
    public void L1Forward(Tensor loss, Tensor x, Tensor target) => Zip(LossKernels.L1Forward, loss, x, target);
    public void L1Backward(Tensor dx, Tensor dLoss, Tensor x, Tensor target, double scale) => LossBackward(LossKernels.L1Backward, dx, dLoss, x, target, scale);
    public void MseForward(Tensor loss, Tensor x, Tensor target) => Zip(LossKernels.MseForward, loss, x, target);
    public void MseBackward(Tensor dx, Tensor dLoss, Tensor x, Tensor target, double scale) => LossBackward(LossKernels.MseBackward, dx, dLoss, x, target, scale);

    private void Map(KernelRef k, Tensor y, Tensor x)
    {
        Enter();
        CheckPointwise(k, y, x, x);
        if (y.NumEl > 0) ElementwiseKernels.LaunchMap(Kernels, k, Ptr(y), Ptr(x), y.NumEl);
    }

    private void Map(KernelRef k, Tensor y, Tensor x, float p)
    {
        Enter();
        CheckPointwise(k, y, x, x);
        if (y.NumEl > 0) ElementwiseKernels.LaunchMap(Kernels, k, Ptr(y), Ptr(x), p, y.NumEl);
    }

    private void Zip(KernelRef k, Tensor z, Tensor a, Tensor b)
    {
        Enter();
        CheckPointwise(k, z, a, b);
        if (z.NumEl > 0) ElementwiseKernels.LaunchZip(Kernels, k, Ptr(z), Ptr(a), Ptr(b), z.NumEl);
    }

    private void Zip(KernelRef k, Tensor z, Tensor a, Tensor b, float p)
    {
        Enter();
        CheckPointwise(k, z, a, b);
        if (z.NumEl > 0) ElementwiseKernels.LaunchZip(Kernels, k, Ptr(z), Ptr(a), Ptr(b), p, z.NumEl);
    }

    private void LossBackward(KernelRef k, Tensor dx, Tensor dLoss, Tensor x, Tensor target, double scale)
    {
        Enter();
        CheckPointwise(k, dx, x, target);
        if (dLoss.NumEl != 1) throw new ArgumentException($"{k.Name}: dLoss must have one element, got {dLoss}");
        if (dx.NumEl > 0) LossKernels.LaunchBackward(Kernels, k, Ptr(dx), Ptr(dLoss), Ptr(x), Ptr(target), scale, dx.NumEl);
    }

    /// <summary>The contiguous kernels read flat arrays: a strided view here would be read wrong.</summary>
    private static void CheckPointwise(KernelRef k, Tensor output, Tensor a, Tensor b)
    {
        if (!Dense(output) || !Dense(a) || !Dense(b))
            throw new ArgumentException($"{k.Name}: tensors must be contiguous ({output}, {a}, {b})");
        if (a.NumEl != output.NumEl || b.NumEl != output.NumEl)
            throw new ArgumentException($"{k.Name}: element counts differ ({output}, {a}, {b})");
    }
}
