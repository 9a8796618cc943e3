namespace RawGan.Nn;

/// <summary>
/// A layer or a model: parameters, buffers and child modules, each registered explicitly by
/// name (no reflection over fields), so names and order are exactly PyTorch's state dict:
/// for each module, its own parameters, then its own buffers, then its children in
/// registration order, names dotted (<c>main.1.running_mean</c>).
///
/// Parameters and buffers live outside every <see cref="TensorScope"/>: they belong to the
/// module and are freed by <see cref="Dispose"/>.
/// </summary>
public abstract class Module : IDisposable
{
    private readonly OrderedDictionary<string, Tensor> _parameters = [];
    private readonly OrderedDictionary<string, Tensor> _buffers = [];
    private readonly OrderedDictionary<string, Module> _modules = [];
    private bool _disposed;

    /// <summary>True in training mode (the default): batch norm uses batch statistics and
    /// updates its running ones, dropout drops.</summary>
    public bool Training { get; private set; } = true;

    public abstract Tensor Forward(Tensor x);

    // ---- registration ----

    /// <summary>Adopts <paramref name="tensor"/> as a trainable parameter: it requires grad and
    /// leaves the scope it was created in.</summary>
    protected Tensor RegisterParameter(string name, Tensor tensor)
    {
        CheckNewName(name);
        if (!tensor.IsLeaf) throw new ArgumentException($"parameter '{name}' must be a leaf tensor, not the output of an op");
        tensor.RequiresGrad = true;
        tensor.DetachFromScope();
        _parameters.Add(name, tensor);
        return tensor;
    }

    /// <summary>Adopts <paramref name="tensor"/> as state that is saved and moved with the module
    /// but not trained (batch norm's running statistics).</summary>
    protected Tensor RegisterBuffer(string name, Tensor tensor)
    {
        CheckNewName(name);
        tensor.DetachFromScope();
        _buffers.Add(name, tensor);
        return tensor;
    }

    protected T RegisterModule<T>(string name, T module) where T : Module
    {
        CheckNewName(name);
        _modules.Add(name, module);
        return module;
    }

    private void CheckNewName(string name)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (string.IsNullOrEmpty(name) || name.Contains('.'))
            throw new ArgumentException($"'{name}' is not a valid name: it must be non-empty and contain no '.'", nameof(name));
        if (_parameters.ContainsKey(name) || _buffers.ContainsKey(name) || _modules.ContainsKey(name))
            throw new ArgumentException($"{GetType().Name} already has a member named '{name}'", nameof(name));
    }

    // ---- traversal ----

    public IEnumerable<Module> Children() => _modules.Values;

    public IEnumerable<(string Name, Module Module)> NamedChildren() => _modules.Select(kv => (kv.Key, kv.Value));

    /// <summary>This module and every descendant, depth first, parents before children, each once.</summary>
    public IEnumerable<Module> Modules() => NamedModules().Select(m => m.Module);

    public IEnumerable<(string Name, Module Module)> NamedModules()
    {
        var seen = new HashSet<Module>(ReferenceEqualityComparer.Instance);
        return Walk(this, "");

        IEnumerable<(string, Module)> Walk(Module module, string prefix)
        {
            if (!seen.Add(module)) yield break;
            yield return (prefix, module);
            foreach (var (name, child) in module._modules)
                foreach (var entry in Walk(child, Join(prefix, name)))
                    yield return entry;
        }
    }

    /// <summary>Calls <paramref name="fn"/> on every child (recursively), then on this module:
    /// PyTorch's <c>Module.apply</c> order, used by <see cref="Init.DcganInit"/>.</summary>
    public Module Apply(Action<Module> fn)
    {
        foreach (var child in _modules.Values) child.Apply(fn);
        fn(this);
        return this;
    }

    public IEnumerable<Tensor> Parameters() => NamedParameters().Select(p => p.Tensor);

    /// <summary>Every parameter with its dotted name; a tensor shared by two modules is listed
    /// once, so an optimizer never steps it twice.</summary>
    public IEnumerable<(string Name, Tensor Tensor)> NamedParameters() => NamedTensors(m => m._parameters);

    public IEnumerable<Tensor> Buffers() => NamedBuffers().Select(b => b.Tensor);

    public IEnumerable<(string Name, Tensor Tensor)> NamedBuffers() => NamedTensors(m => m._buffers);

    private IEnumerable<(string Name, Tensor Tensor)> NamedTensors(Func<Module, OrderedDictionary<string, Tensor>> members)
    {
        var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        foreach (var (prefix, module) in NamedModules())
            foreach (var (name, tensor) in members(module))
                if (seen.Add(tensor))
                    yield return (Join(prefix, name), tensor);
    }

    // ---- state dict ----

    /// <summary>Every parameter and buffer by dotted name, in PyTorch's order. The tensors are the
    /// module's own (not copies): write them out before training on.</summary>
    public OrderedDictionary<string, Tensor> StateDict()
    {
        var dict = new OrderedDictionary<string, Tensor>();
        AddState(dict, "");
        return dict;
    }

    private void AddState(OrderedDictionary<string, Tensor> dict, string prefix)
    {
        foreach (var (name, tensor) in _parameters) dict.Add(prefix + name, tensor);
        foreach (var (name, tensor) in _buffers) dict.Add(prefix + name, tensor);
        foreach (var (name, child) in _modules) child.AddState(dict, prefix + name + ".");
    }

    /// <summary>
    /// Copies values into this module's parameters and buffers (the tensor objects stay the same,
    /// so optimizers keep working); values are converted to each tensor's dtype and device.
    /// Nothing is copied unless every check passes. A shape mismatch is always an error; missing
    /// and unexpected keys are errors when <paramref name="strict"/>, else reported in the result.
    /// </summary>
    public LoadStateDictResult LoadStateDict(IReadOnlyDictionary<string, Tensor> stateDict, bool strict = true)
    {
        var own = StateDict();
        var missing = own.Keys.Where(k => !stateDict.ContainsKey(k)).ToList();
        var unexpected = stateDict.Keys.Where(k => !own.ContainsKey(k)).ToList();
        var mismatched = new List<string>();
        foreach (var (name, tensor) in own)
        {
            if (stateDict.TryGetValue(name, out var source) && !source.Shape.AsSpan().SequenceEqual(tensor.Shape))
                mismatched.Add($"{name}: shape {RawGan.Shape.Format(source.Shape)} in the state dict, {RawGan.Shape.Format(tensor.Shape)} in the model");
        }

        if (mismatched.Count > 0 || (strict && (missing.Count > 0 || unexpected.Count > 0)))
        {
            var message = new System.Text.StringBuilder($"error(s) loading the state dict of {GetType().Name}:");
            if (strict && missing.Count > 0) message.Append($"\n  missing keys: {string.Join(", ", missing)}");
            if (strict && unexpected.Count > 0) message.Append($"\n  unexpected keys: {string.Join(", ", unexpected)}");
            if (mismatched.Count > 0) message.Append($"\n  shape mismatches: {string.Join("; ", mismatched)}");
            throw new ArgumentException(message.ToString(), nameof(stateDict));
        }

        using (Autograd.Autograd.NoGrad())
        {
            foreach (var (name, tensor) in own)
                if (stateDict.TryGetValue(name, out var source))
                    tensor.CopyFrom(source);
        }
        return new LoadStateDictResult(missing, unexpected);
    }

    // ---- modes, devices, gradients ----

    public Module Train(bool mode = true)
    {
        foreach (var module in Modules()) module.Training = mode;
        return this;
    }

    public Module Eval() => Train(false);

    /// <summary>Moves every parameter and buffer (and any gradient) to <paramref name="device"/>
    /// in place: the tensor objects stay the same, so an optimizer built before the move still
    /// holds the moved parameters. A buffer of a dtype the device does not store (float64
    /// bookkeeping such as BatchNorm's num_batches_tracked, on the float32-only CUDA backend) stays
    /// on the host, where the ops that update it run.</summary>
    public Module To(Device device)
    {
        foreach (var tensor in Parameters()) tensor.MoveStorageTo(device);
        foreach (var tensor in Buffers().Where(b => device.Stores(b.DType))) tensor.MoveStorageTo(device);
        return this;
    }

    /// <summary>Drops every parameter's gradient (frees it rather than zero-filling it).</summary>
    public void ZeroGrad()
    {
        foreach (var p in Parameters())
        {
            p.Grad?.Dispose();
            p.Grad = null;
        }
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var tensor in _parameters.Values)
        {
            tensor.Grad?.Dispose();
            tensor.Dispose();
        }
        foreach (var tensor in _buffers.Values) tensor.Dispose();
        foreach (var child in _modules.Values) child.Dispose();
    }

    private static string Join(string prefix, string name) => prefix.Length == 0 ? name : prefix + "." + name;
}
