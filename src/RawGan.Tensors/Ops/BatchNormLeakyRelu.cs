namespace RawGan;

public static partial class F
{
    /// <summary>
    /// LeakyRelu(BatchNorm(x, training: true), slope) as one op (slope 0: Relu): the values of the two
    /// ops in sequence, with less memory traffic. The forward normalises and activates in one pass;
    /// the normalised tensor is never stored, as the backward recomputes it from x and the saved
    /// statistics to know where the slope applied. DCGAN follows every BatchNorm2d by ReLU or
    /// LeakyReLU(0.2), and <see cref="Nn.Sequential"/> runs such pairs through this op in training.
    /// </summary>
    public static Tensor BatchNormLeakyRelu(Tensor x, Tensor weight, Tensor bias, Tensor? runningMean, Tensor? runningVar,
        double slope, double momentum = 0.1, double eps = 1e-5)
    {
        const string op = "batch_norm_leaky_relu";
        CheckBatchNorm(op, x, weight, bias, runningMean, runningVar, training: true);
        if (!double.IsFinite(slope)) throw new ArgumentException($"{op}: slope must be finite, got {slope}");
        return BatchNormTraining(op, x, weight, bias, runningMean, runningVar, momentum, eps, slope);
    }
}
