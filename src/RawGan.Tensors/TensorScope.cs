namespace RawGan;

/// <summary>
/// Deterministic disposal of tensors, as TorchSharp's DisposeScope: every tensor created
/// while a scope is open on this thread is disposed when the scope ends, unless it was
/// moved out with <see cref="Tensor.MoveToOuterScope"/> or <see cref="Tensor.DetachFromScope"/>.
/// A training step runs in one scope, so GPU memory of activations and gradients is
/// returned every step instead of waiting for the garbage collector.
/// </summary>
public sealed class TensorScope : IDisposable
{
    [ThreadStatic] private static TensorScope? _current;

    private readonly List<Tensor> _tensors = [];
    private readonly TensorScope? _parent;
    private bool _disposed;

    public TensorScope()
    {
        _parent = _current;
        _current = this;
    }

    internal static TensorScope? Current => _current;
    internal TensorScope? Parent => _parent;

    internal void Add(Tensor t) => _tensors.Add(t);

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (_current != this)
            throw new InvalidOperationException("TensorScopes must be disposed in reverse order of creation");
        _current = _parent;
        foreach (var t in _tensors)
            if (ReferenceEquals(t.Scope, this))
                t.Dispose();
        _tensors.Clear();
    }
}
