namespace RawGan.Backends;

/// <summary>
/// Adam's bias corrections for step t: the step size lr / (1 - b1^t) and sqrt(1 - b2^t), in double,
/// for the caller to round once to its dtype. One formula for the CPU backend, the CUDA launcher and
/// the optimizer's replay cells, so all three use the same bits.
/// </summary>
public static class AdamCorrections
{
    public static (double StepSize, double Correction2) For(double lr, double beta1, double beta2, int step) =>
        (lr / (1 - Math.Pow(beta1, step)), Math.Sqrt(1 - Math.Pow(beta2, step)));
}
