namespace RawGan;

/// <summary>
/// Within <see cref="Forbid"/>'s scope, reading a tensor back to host memory on this thread throws.
/// A training step meant for capture in a CUDA graph must only queue device work; tests run such a
/// step under this guard to prove it, on the CPU too, where a read would be harmless.
/// </summary>
internal static class ReadBackGuard
{
    [ThreadStatic] private static int t_depth;

    public static IDisposable Forbid()
    {
        t_depth++;
        return new Scope();
    }

    public static void Check(Tensor t)
    {
        if (t_depth > 0)
            throw new InvalidOperationException($"a tensor of shape {Shape.Format(t.Shape)} was read back to the host where reads are forbidden");
    }

    private sealed class Scope : IDisposable
    {
        private bool _disposed;

        public void Dispose()
        {
            if (_disposed) return;
            _disposed = true;
            t_depth--;
        }
    }
}
