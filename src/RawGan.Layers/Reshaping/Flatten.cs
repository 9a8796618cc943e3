namespace RawGan.Nn;

/// <summary>Merges dimensions startDim..endDim into one (PyTorch's defaults keep the batch
/// dimension: [N, C, H, W] becomes [N, C*H*W]).</summary>
public sealed class Flatten(int startDim = 1, int endDim = -1) : Module
{
    public int StartDim { get; } = startDim;
    public int EndDim { get; } = endDim;

    public override Tensor Forward(Tensor x)
    {
        int start = RawGan.Shape.NormalizeDim(StartDim, x.Rank), end = RawGan.Shape.NormalizeDim(EndDim, x.Rank);
        if (start > end) throw new ArgumentException($"flatten: start dim {StartDim} comes after end dim {EndDim} for shape {RawGan.Shape.Format(x.Shape)}");
        int[] shape = [.. x.Shape[..start], RawGan.Shape.NumEl(x.Shape.AsSpan(start, end - start + 1)), .. x.Shape[(end + 1)..]];
        return x.Reshape(shape);
    }
}
