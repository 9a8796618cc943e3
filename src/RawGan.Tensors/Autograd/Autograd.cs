namespace RawGan.Autograd;

/// <summary>Recording switch and the entry point ops use to put themselves in the graph.</summary>
public static class Autograd
{
    [ThreadStatic] private static int _noGradDepth;

    public static bool IsEnabled => _noGradDepth == 0;

    /// <summary>Sampling, evaluation and optimizer updates run without recording:
    /// <c>using (Autograd.NoGrad()) { ... }</c>.</summary>
    public static IDisposable NoGrad() => new NoGradScope();

    /// <summary>Attaches <paramref name="backward"/> to <paramref name="output"/> when recording is on and
    /// some input needs a gradient; returns the output for chaining.</summary>
    public static Tensor Record(Tensor output, string op, Tensor[] inputs, Func<Tensor, Tensor?[]> backward)
    {
        if (!IsEnabled) return output;
        foreach (var input in inputs)
        {
            if (input.RequiresGrad)
            {
                output.RequiresGrad = true;
                output.GradFn = new Node(op, inputs, backward);
                return output;
            }
        }
        return output;
    }

    /// <summary>Marks <paramref name="t"/> as a result that only the graph uses (a layer's output inside
    /// a <c>Sequential</c>): backward frees it as soon as its gradient has flowed through, as PyTorch
    /// frees saved activations, instead of at the end of the step's scope. Returns <paramref name="t"/>.
    /// Only the graph may read it after a backward through it.</summary>
    public static Tensor Intermediate(Tensor t)
    {
        if (t.GradFn is not null) t.IsIntermediate = true;
        return t;
    }

    private sealed class NoGradScope : IDisposable
    {
        private bool _disposed;

        public NoGradScope() => _noGradDepth++;

        public void Dispose()
        {
            if (_disposed) return;
            _disposed = true;
            _noGradDepth--;
        }
    }
}
