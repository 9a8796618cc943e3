namespace RawGan.Nn;

/// <summary>What <see cref="Dropout"/> and <see cref="Dropout2d"/> share (PyTorch's _DropoutNd): the
/// probability p in [0, 1) and the stream the masks come from, <see cref="Generator"/> or
/// <see cref="Init.DefaultGenerator"/> when it is null.</summary>
public abstract class DropoutBase : Module
{
    protected DropoutBase(double p, Generator? generator)
    {
        if (p is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(p), p, "dropout probability must be in [0, 1)");
        P = p;
        Generator = generator;
    }

    public double P { get; }

    /// <summary>Settable so a checkpointed run can hand the restored stream back.</summary>
    public Generator? Generator { get; set; }

    protected Generator Masks => Generator ?? Init.DefaultGenerator;
}
