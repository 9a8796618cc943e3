namespace RawGan.Nn;

/// <summary>Views each sample as <see cref="Shape"/>, keeping the batch dimension:
/// <c>new Reshape(128, 8, 8)</c> turns [N, 8192] into [N, 128, 8, 8] (one -1 may be inferred).</summary>
public sealed class Reshape(params int[] shape) : Module
{
    public IReadOnlyList<int> Shape { get; } = [.. shape];

    public override Tensor Forward(Tensor x) => x.Reshape([x.Shape[0], .. Shape]);
}
