using System.Globalization;

namespace RawGan.Optim;

/// <summary>
/// Updates a fixed list of parameters from their gradients with one of the backend's fused steps.
/// Per-parameter state tensors are created at a parameter's first step, on its device and in its
/// dtype; if the parameter has moved since (Module.To), its state follows it. Parameters whose
/// Grad is null are skipped and their step count does not advance (PyTorch's behaviour).
/// </summary>
public abstract class Optimizer : IDisposable
{
    private readonly Tensor[] _parameters;
    private readonly int[] _steps;
    private readonly Dictionary<string, Tensor>[] _state;
    private readonly OrderedDictionary<string, (double Value, double Min, double Max)> _hyperparameters = [];
    private readonly string[] _stateNames;
    private readonly string _algorithm;

    protected Optimizer(IEnumerable<Tensor> parameters, string algorithm, string[] stateNames, double lr)
    {
        _parameters = [.. parameters];
        if (_parameters.Length == 0) throw new ArgumentException("the optimizer got an empty parameter list", nameof(parameters));
        var seen = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        for (int i = 0; i < _parameters.Length; i++)
        {
            if (!_parameters[i].IsLeaf) throw new ArgumentException($"parameter {i} is not a leaf tensor: an optimizer can only update leaves", nameof(parameters));
            if (!seen.Add(_parameters[i])) throw new ArgumentException($"parameter {i} appears twice in the list", nameof(parameters));
        }
        _steps = new int[_parameters.Length];
        _state = [.. _parameters.Select(_ => new Dictionary<string, Tensor>())];
        _algorithm = algorithm;
        _stateNames = stateNames;
        AddHyperparameter("lr", lr);
    }

    public IReadOnlyList<Tensor> Parameters => _parameters;

    /// <summary>Settable between steps, for schedules.</summary>
    public double LearningRate
    {
        get => Hyperparameter("lr");
        set => SetHyperparameter("lr", value);
    }

    /// <summary>One update of every parameter that has a gradient, without recording a graph. Parameters
    /// that share a device, a dtype and a step count are updated by one backend call (one launch on
    /// CUDA); the step count differs only for parameters that sat out steps without a gradient.</summary>
    public void Step()
    {
        using var noGrad = Autograd.Autograd.NoGrad();
        var capture = StepCapture.Recording;
        var fixedValues = capture is null ? null : FixedHyperparameters();
        var groups = new List<Group>();
        var copies = new List<Tensor>();
        try
        {
            for (int i = 0; i < _parameters.Length; i++)
            {
                var p = _parameters[i];
                if (p.Grad is null) continue;
                if (p.Grad.DType != p.DType || p.Grad.Device != p.Device)
                    throw new InvalidOperationException($"parameter {i} ({p}) has a gradient of {p.Grad.DType.Name()} on {p.Grad.Device}");
                if (capture is not null && _steps[i] == 0)
                    throw new InvalidOperationException($"{_algorithm}: parameter {i} has never been updated; its state is made at its first step, so capture a step only after an eager one");
                var grad = p.Grad;
                if (!grad.IsContiguous) copies.Add(grad = grad.Contiguous());
                int step = ++_steps[i];
                var group = groups.Find(g => g.Step == step && g.Device == p.Device && g.DType == p.DType);
                if (group is null) groups.Add(group = new Group(p.Device, p.DType, step));
                group.Members.Add(new Stepped(i, p, grad));
            }
            foreach (var group in groups)
            {
                // A captured step reads the values that change between steps from a cell, one per
                // group, refilled before each replay as the group's members step on together.
                var members = group.Members;
                var hyper = capture?.Cell(ReplayValues(group.Step), () =>
                {
                    CheckUnchanged(fixedValues!);
                    foreach (var m in members) _steps[m.Index]++;
                    return ReplayValues(_steps[members[0].Index]);
                });
                Update(members, group.Step, hyper);
            }
        }
        finally
        {
            foreach (var copy in copies) copy.Dispose();
        }
    }

    /// <summary>A parameter in this step's update: its index in the list, itself and its contiguous gradient.</summary>
    protected readonly record struct Stepped(int Index, Tensor Param, Tensor Grad);

    private sealed record Group(Device Device, DType DType, int Step)
    {
        public List<Stepped> Members { get; } = [];
    }

    /// <summary>Applies one update to every parameter of <paramref name="group"/> (one device, one dtype,
    /// in one backend call); <paramref name="step"/>, their shared step count, counts from 1. In a captured
    /// step <paramref name="hyper"/> holds <see cref="ReplayValues"/> for the backend.</summary>
    protected abstract void Update(IReadOnlyList<Stepped> group, int step, Tensor? hyper);

    /// <summary>The float32 values a captured step's kernel reads for <paramref name="step"/>, in the
    /// order the backend's update takes them (IBackend, "fused optimizer updates").</summary>
    protected abstract float[] ReplayValues(int step);

    /// <summary>Every hyper-parameter but lr: a captured step has them baked into its kernels.</summary>
    private Dictionary<string, double> FixedHyperparameters() =>
        _hyperparameters.Where(h => h.Key != "lr").ToDictionary(h => h.Key, h => h.Value.Value);

    private void CheckUnchanged(Dictionary<string, double> fixedValues)
    {
        foreach (var (name, value) in fixedValues)
            if (_hyperparameters[name].Value != value)
                throw new InvalidOperationException(
                    $"{_algorithm}: {name} changed from {value} to {_hyperparameters[name].Value} after the step was captured; a captured step can follow only lr: capture it again");
    }

    /// <summary>Drops every parameter's gradient (frees it rather than zero-filling it).</summary>
    public void ZeroGrad()
    {
        foreach (var p in _parameters)
        {
            p.Grad?.Dispose();
            p.Grad = null;
        }
    }

    // ---- hyper-parameters and per-parameter state, for subclasses ----

    /// <summary>Declares a hyper-parameter saved in the state dict, valid in [min, max) (PyTorch's
    /// checks: rates, decays and eps are non-negative, betas below 1).</summary>
    protected void AddHyperparameter(string name, double value, double min = 0, double max = double.PositiveInfinity)
    {
        _hyperparameters.Add(name, (value, min, max));
        SetHyperparameter(name, value);
    }

    protected double Hyperparameter(string name) => _hyperparameters[name].Value;

    protected void SetHyperparameter(string name, double value)
    {
        var (_, min, max) = _hyperparameters[name];
        if (!(value >= min && value < max))
            throw new ArgumentOutOfRangeException(name, value, $"{_algorithm}: {name} must be in [{min}, {max})");
        _hyperparameters[name] = (value, min, max);
    }

    protected bool HasState(int index, string name) => _state[index].ContainsKey(name);

    /// <summary>The named state of parameter <paramref name="index"/>, created filled with
    /// <paramref name="initialValue"/> on first use, and on the parameter's device.</summary>
    protected Tensor State(int index, string name, double initialValue = 0)
    {
        var param = _parameters[index];
        if (_state[index].TryGetValue(name, out var state))
        {
            state.MoveStorageTo(param.Device);
            return state;
        }
        state = Tensor.Full(param.Shape, initialValue, param.DType, param.Device).DetachFromScope();
        _state[index][name] = state;
        return state;
    }

    // ---- checkpoints ----

    /// <summary>Hyper-parameters, step counts and state tensors. The tensors are the optimizer's own
    /// (not copies), as in PyTorch: write them out before stepping again.</summary>
    public OptimizerState StateDict()
    {
        var scalars = _hyperparameters.ToDictionary(h => h.Key, h => h.Value.Value);
        var tensors = new Dictionary<string, Tensor>();
        for (int i = 0; i < _parameters.Length; i++)
        {
            if (_steps[i] > 0) scalars[StateKey(i, "step")] = _steps[i];
            foreach (var name in _stateNames)
                if (_state[i].TryGetValue(name, out var t)) tensors[StateKey(i, name)] = t;
        }
        return new OptimizerState(_algorithm, scalars, tensors);
    }

    /// <summary>Restores hyper-parameters, step counts and state (copied into fresh tensors on each
    /// parameter's device). Everything is checked before anything changes.</summary>
    public void LoadStateDict(OptimizerState state)
    {
        if (state.Algorithm != _algorithm)
            throw new ArgumentException($"state of a '{state.Algorithm}' optimizer cannot be loaded into '{_algorithm}'", nameof(state));
        var steps = new int[_parameters.Length];
        var errors = new List<string>();
        foreach (var name in _hyperparameters.Keys)
            if (!state.Scalars.ContainsKey(name)) errors.Add($"missing hyper-parameter '{name}'");
        foreach (var (key, value) in state.Scalars)
        {
            if (_hyperparameters.ContainsKey(key)) continue;
            if (ParseStateKey(key, ["step"]) is { } at && value >= 1 && value == Math.Floor(value) && value <= int.MaxValue)
                steps[at.Index] = (int)value;
            else errors.Add($"unexpected scalar '{key}' = {value}");
        }
        foreach (var (key, tensor) in state.Tensors)
        {
            if (ParseStateKey(key, _stateNames) is not { } at)
                errors.Add($"unexpected tensor '{key}'");
            else if (!tensor.Shape.AsSpan().SequenceEqual(_parameters[at.Index].Shape))
                errors.Add($"'{key}' has shape {Shape.Format(tensor.Shape)}, parameter {at.Index} has {Shape.Format(_parameters[at.Index].Shape)}");
            else if (steps[at.Index] == 0)
                errors.Add($"'{key}' is given but 'state.{at.Index}.step' is not");
        }
        if (errors.Count > 0)
            throw new ArgumentException($"error(s) loading the state of {_algorithm}:\n  " + string.Join("\n  ", errors), nameof(state));

        foreach (var (key, value) in state.Scalars)
            if (_hyperparameters.ContainsKey(key)) SetHyperparameter(key, value);
        DisposeState();
        steps.CopyTo(_steps, 0);
        using var noGrad = Autograd.Autograd.NoGrad();
        foreach (var (key, source) in state.Tensors)
        {
            var (index, name) = ParseStateKey(key, _stateNames)!.Value;
            State(index, name).CopyFrom(source);
        }
    }

    private static string StateKey(int index, string name) => string.Create(CultureInfo.InvariantCulture, $"state.{index}.{name}");

    /// <summary>(index, name) of a key "state.{index}.{name}" with a valid index and a known name; else null.</summary>
    private (int Index, string Name)? ParseStateKey(string key, string[] names)
    {
        var parts = key.Split('.');
        if (parts.Length != 3 || parts[0] != "state" || !names.Contains(parts[2])) return null;
        if (!int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int index) || index >= _parameters.Length) return null;
        return (index, parts[2]);
    }

    private void DisposeState()
    {
        foreach (var perParameter in _state)
        {
            foreach (var t in perParameter.Values) t.Dispose();
            perParameter.Clear();
        }
    }

    public void Dispose() => DisposeState();
}
