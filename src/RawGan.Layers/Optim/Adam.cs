using RawGan.Backends;

namespace RawGan.Optim;

/// <summary>
/// PyTorch's Adam (Kingma and Ba 2015; L2 weight decay added to the gradient, not AdamW):
/// m = b1 m + (1 - b1) d, v = b2 v + (1 - b2) d^2,
/// p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps), with t the parameter's own step count.
/// DCGAN trains with lr = 2e-4, beta1 = 0.5. State: <c>exp_avg</c> (m), <c>exp_avg_sq</c> (v).
/// </summary>
public sealed class Adam : Optimizer
{
    private const string ExpAvg = "exp_avg", ExpAvgSq = "exp_avg_sq";

    public Adam(IEnumerable<Tensor> parameters, double lr = 1e-3, double beta1 = 0.9, double beta2 = 0.999,
        double eps = 1e-8, double weightDecay = 0)
        : base(parameters, "adam", [ExpAvg, ExpAvgSq], lr)
    {
        AddHyperparameter("beta1", beta1, max: 1);
        AddHyperparameter("beta2", beta2, max: 1);
        AddHyperparameter("eps", eps);
        AddHyperparameter("weight_decay", weightDecay);
    }

    public double Beta1
    {
        get => Hyperparameter("beta1");
        set => SetHyperparameter("beta1", value);
    }

    public double Beta2
    {
        get => Hyperparameter("beta2");
        set => SetHyperparameter("beta2", value);
    }

    public double Eps
    {
        get => Hyperparameter("eps");
        set => SetHyperparameter("eps", value);
    }

    public double WeightDecay
    {
        get => Hyperparameter("weight_decay");
        set => SetHyperparameter("weight_decay", value);
    }

    protected override void Update(IReadOnlyList<Stepped> group, int step, Tensor? hyper) =>
        group[0].Param.Backend.AdamStep([.. group.Select(s => new AdamTensors(s.Param, s.Grad, State(s.Index, ExpAvg), State(s.Index, ExpAvgSq)))],
            LearningRate, Beta1, Beta2, Eps, WeightDecay, step, hyper);

    protected override float[] ReplayValues(int step)
    {
        var (stepSize, correction2) = Backends.AdamCorrections.For(LearningRate, Beta1, Beta2, step);
        return [(float)stepSize, (float)correction2];
    }
}
