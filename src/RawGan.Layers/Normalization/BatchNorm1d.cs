namespace RawGan.Nn;

/// <summary>Batch norm over [N, C] or [N, C, L]: statistics per feature over N (and L).</summary>
public sealed class BatchNorm1d(int numFeatures, double eps = 1e-5, double momentum = 0.1, bool affine = true,
    bool trackRunningStats = true, DType dtype = DType.Float32, Device? device = null)
    : BatchNorm(numFeatures, eps, momentum, affine, trackRunningStats, dtype, device)
{
    protected override void CheckInput(Tensor x)
    {
        if (x.Rank is not (2 or 3)) throw new ArgumentException($"BatchNorm1d expects [N, C] or [N, C, L] input, got shape {RawGan.Shape.Format(x.Shape)}");
    }
}
