namespace RawGan.Backends;

/// <summary>
/// Adam's bias corrections for step t as the float32 kernels take them: the step size
/// lr / (1 - b1^t) and sqrt(1 - b2^t), computed in double and rounded once. One formula for the
/// CPU backend, the CUDA launcher and the optimizer's replay cells, so all three use the same bits.
/// </summary>
public static class AdamCorrections
{
    public static (float StepSize, float Correction2) For(double lr, double beta1, double beta2, int step) =>
        ((float)(lr / (1 - Math.Pow(beta1, step))), (float)Math.Sqrt(1 - Math.Pow(beta2, step)));
}
