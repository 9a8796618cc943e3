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

    protected override void Update(int index, Tensor param, Tensor grad, int step, Tensor? hyper)
    {
        if (Momentum == 0)
        {
            param.Backend.SgdStep(param, grad, null, LearningRate, 0, WeightDecay, firstStep: false, hyper);
            return;
        }
        bool first = !HasState(index, Buffer);
        param.Backend.SgdStep(param, grad, State(index, Buffer), LearningRate, Momentum, WeightDecay, first, hyper);
    }

    protected override float[] ReplayValues(int step) => [(float)LearningRate];
}
