namespace RawGan.Backends;

// The tensors of one parameter in a fused optimizer update (IBackend.AdamStep, SgdStep, RmsPropStep):
// the parameter, its gradient and the optimizer's state for it, contiguous and of one length.

/// <summary>Adam's state: PyTorch's exp_avg (m) and exp_avg_sq (v).</summary>
public readonly record struct AdamTensors(Tensor Param, Tensor Grad, Tensor ExpAvg, Tensor ExpAvgSq);

/// <summary>MomentumBuffer is null for plain SGD; FirstStep: the buffer is fresh, so it takes d instead of accumulating it.</summary>
public readonly record struct SgdTensors(Tensor Param, Tensor Grad, Tensor? MomentumBuffer, bool FirstStep);

public readonly record struct RmsPropTensors(Tensor Param, Tensor Grad, Tensor SquareAvg);
