namespace RawGan.Autograd;

/// <summary>
/// Reverse-mode differentiation over the recorded graph. The walk order is an iterative,
/// deterministic topological sort (inputs in recorded order), so gradients accumulate in the
/// same order on every run and on every backend.
/// </summary>
internal static class Engine
{
    public static void Backward(Tensor root, Tensor? gradient)
    {
        if (!root.RequiresGrad)
            throw new InvalidOperationException("Backward() on a tensor that does not require grad: no input of its graph has RequiresGrad set");
        if (gradient is null && root.NumEl != 1)
            throw new InvalidOperationException($"Backward() without a gradient needs a one-element tensor, got shape {Shape.Format(root.Shape)}");

        var order = TopologicalOrder(root);
        var grads = new Dictionary<Tensor, Tensor>(ReferenceEqualityComparer.Instance);
        using var noGrad = Autograd.NoGrad();
        grads[root] = gradient ?? Tensor.Full(root.Shape, 1, root.DType, root.Device);

        for (int i = order.Count - 1; i >= 0; i--)
        {
            var t = order[i];
            if (!grads.Remove(t, out var g)) continue;
            var node = t.GradFn;
            if (node is null)
            {
                if (!AccumulateIntoLeaf(t, g, owned: !ReferenceEquals(g, gradient))) g.Dispose();
                continue;
            }

            // The temporaries of this node's backward go when it returns; what it hands back moves out.
            Tensor?[] inputGrads;
            using (var temporaries = new TensorScope())
            {
                inputGrads = node.Backward(g);
                foreach (var ig in inputGrads)
                    if (ig is not null && ReferenceEquals(ig.Scope, temporaries)) ig.MoveToOuterScope();
            }
            for (int k = 0; k < node.Inputs.Length; k++)
            {
                var input = node.Inputs[k];
                var ig = inputGrads[k];
                if (ig is null || !input.RequiresGrad) continue;
                if (!ig.Shape.AsSpan().SequenceEqual(input.Shape))
                    throw new InvalidOperationException(
                        $"backward of '{node.Op}' returned a gradient of shape {Shape.Format(ig.Shape)} for an input of shape {Shape.Format(input.Shape)}");
                // Each dictionary entry owns its own Tensor object: an op may hand the same
                // gradient to two inputs (add), or pass its incoming gradient straight through.
                if (ReferenceEquals(ig, g) || ContainsValue(grads, ig))
                    ig = ig.Alias();
                if (grads.TryGetValue(input, out var existing))
                {
                    grads[input] = existing + ig;
                    existing.Dispose();
                    ig.Dispose();
                }
                else
                {
                    grads[input] = ig;
                }
            }
            if (!ReferenceEquals(g, gradient)) g.Dispose();
            // The graph is freed after backward: what this node saved is no longer reachable, and an
            // intermediate result is needed by nobody else (its consumers came earlier in this walk).
            t.GradFn = null;
            if (t.IsIntermediate) t.Dispose();
        }
    }

    private static bool ContainsValue(Dictionary<Tensor, Tensor> grads, Tensor t)
    {
        foreach (var v in grads.Values)
            if (ReferenceEquals(v, t)) return true;
        return false;
    }

    /// <summary>Adds g into leaf.Grad. A first gradient that the walk owns alone (made by a backward,
    /// a whole storage of its own) becomes leaf.Grad itself instead of a copy: returns true then.</summary>
    private static bool AccumulateIntoLeaf(Tensor leaf, Tensor g, bool owned)
    {
        if (leaf.Grad is not null)
        {
            leaf.Grad.Backend.Binary(Backends.BinaryOp.Add, leaf.Grad, leaf.Grad, g.Contiguous());
            return false;
        }
        if (owned && g.IsContiguous && g.Offset == 0 && g.Storage.Count == g.NumEl && !g.Storage.IsShared)
        {
            leaf.Grad = g.DetachFromScope();
            return true;
        }
        leaf.Grad = g.Clone();
        leaf.Grad.DetachFromScope();
        return false;
    }

    private static List<Tensor> TopologicalOrder(Tensor root)
    {
        var order = new List<Tensor>();
        var visited = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<(Tensor Tensor, int NextInput)>();
        stack.Push((root, 0));
        visited.Add(root);
        while (stack.Count > 0)
        {
            var (t, next) = stack.Pop();
            var inputs = t.GradFn?.Inputs ?? [];
            if (next < inputs.Length)
            {
                stack.Push((t, next + 1));
                var input = inputs[next];
                if (input.RequiresGrad && visited.Add(input))
                    stack.Push((input, 0));
            }
            else
            {
                order.Add(t);
            }
        }
        return order;
    }
}
