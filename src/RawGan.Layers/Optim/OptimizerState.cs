namespace RawGan.Optim;

/// <summary>
/// Everything an optimizer needs to resume exactly: <see cref="Scalars"/> holds the
/// hyper-parameters by PyTorch's names (<c>lr</c>, <c>momentum</c>, <c>beta1</c>, ...) and each
/// parameter's step count (<c>state.3.step</c>); <see cref="Tensors"/> holds per-parameter state
/// (<c>state.3.exp_avg</c>), indexed by the parameter's position in the optimizer's list as
/// PyTorch's state dict is. Scalars serialise as JSON, tensors as safetensors.
/// </summary>
public sealed record OptimizerState(
    string Algorithm,
    IReadOnlyDictionary<string, double> Scalars,
    IReadOnlyDictionary<string, Tensor> Tensors);
