namespace RawGan;

/// <summary>
/// The functional form of every op (PyTorch's torch.* / torch.nn.functional.*). Each op lives in
/// its own file under Ops/ with its forward and backward side by side; backends do the arithmetic.
/// </summary>
public static partial class F
{
    internal static void CheckSame(string op, Tensor a, Tensor b)
    {
        if (a.Device != b.Device)
            throw new ArgumentException($"{op}: tensors on different devices ({a.Device} and {b.Device})");
        if (a.DType != b.DType)
            throw new ArgumentException($"{op}: tensors of different dtypes ({a.DType.Name()} and {b.DType.Name()})");
    }

    internal static void CheckShape(string op, Tensor t, ReadOnlySpan<int> expected, string what)
    {
        if (!t.Shape.AsSpan().SequenceEqual(expected))
            throw new ArgumentException($"{op}: {what} has shape {Shape.Format(t.Shape)}, expected {Shape.Format(expected)}");
    }

    internal static void CheckRank(string op, Tensor t, int rank, string what)
    {
        if (t.Rank != rank)
            throw new ArgumentException($"{op}: {what} must have {rank} dimensions, got shape {Shape.Format(t.Shape)}");
    }
}
