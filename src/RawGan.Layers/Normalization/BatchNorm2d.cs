namespace RawGan.Nn;

/// <summary>Batch norm over [N, C, H, W]: statistics per channel over N, H and W.</summary>
public sealed class BatchNorm2d(int numFeatures, double eps = 1e-5, double momentum = 0.1, bool affine = true,
    bool trackRunningStats = true, DType dtype = DType.Float32, Device? device = null)
    : BatchNorm(numFeatures, eps, momentum, affine, trackRunningStats, dtype, device)
{
    protected override void CheckInput(Tensor x)
    {
        if (x.Rank != 4) throw new ArgumentException($"BatchNorm2d expects [N, C, H, W] input, got shape {RawGan.Shape.Format(x.Shape)}");
    }
}
