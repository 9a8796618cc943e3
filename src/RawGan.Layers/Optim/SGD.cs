using RawGan.Backends;

namespace RawGan.Optim;

/// <summary>
/// PyTorch's SGD (no dampening, no Nesterov): d = g + weightDecay * p; with momentum,
/// buf = d on the first step and momentum * buf + d after; p -= lr * (buf or d).
/// State: <c>momentum_buffer</c>, only when momentum is non-zero.
/// </summary>
public sealed class SGD : Optimizer
{
    private const string Buffer = "momentum_buffer";

    public SGD(IEnumerable<Tensor> parameters, double lr, double momentum = 0, double weightDecay = 0)
        : base(parameters, "sgd", [Buffer], lr)
    {
        AddHyperparameter("momentum", momentum);
        AddHyperparameter("weight_decay", weightDecay);
    }

    public double Momentum
    {
        get => Hyperparameter("momentum");
        set => SetHyperparameter("momentum", value);
    }

    public double WeightDecay
    {
        get => Hyperparameter("weight_decay");
        set => SetHyperparameter("weight_decay", value);
    }

    protected override void Update(IReadOnlyList<Stepped> group, int step, Tensor? hyper) =>
        group[0].Param.Backend.SgdStep([.. group.Select(Tensors)], LearningRate, Momentum, WeightDecay, hyper);

    /// <summary>Without momentum there is no buffer; with it, a parameter's buffer is fresh until its first update.</summary>
    private SgdTensors Tensors(Stepped s)
    {
        if (Momentum == 0) return new SgdTensors(s.Param, s.Grad, null, FirstStep: false);
        bool first = !HasState(s.Index, Buffer);
        return new SgdTensors(s.Param, s.Grad, State(s.Index, Buffer), first);
    }

    protected override float[] ReplayValues(int step) => [(float)LearningRate];
}
