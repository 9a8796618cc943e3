using RawGan.Backends;

namespace RawGan.Optim;

/// <summary>
/// Torch7's optim.rmsprop, which the 2015 Torch GAN code trains with (the same update as PyTorch's
/// uncentred RMSprop without momentum): d = g + weightDecay * p; m = alpha m + (1 - alpha) d^2;
/// p -= lr d / (sqrt(m) + eps). The running mean m starts at <c>initialMean</c>
/// (Torch7's config.initialMean; 0, PyTorch's start, by default). State: <c>square_avg</c> (m).
/// </summary>
public sealed class RMSprop : Optimizer
{
    private const string SquareAvg = "square_avg";

    public RMSprop(IEnumerable<Tensor> parameters, double lr = 1e-2, double alpha = 0.99, double eps = 1e-8,
        double weightDecay = 0, double initialMean = 0)
        : base(parameters, "rmsprop", [SquareAvg], lr)
    {
        AddHyperparameter("alpha", alpha);
        AddHyperparameter("eps", eps);
        AddHyperparameter("weight_decay", weightDecay);
        AddHyperparameter("initial_mean", initialMean);
    }

    public double Alpha
    {
        get => Hyperparameter("alpha");
        set => SetHyperparameter("alpha", value);
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

    /// <summary>The value m starts from; changing it affects only parameters not yet stepped.</summary>
    public double InitialMean
    {
        get => Hyperparameter("initial_mean");
        set => SetHyperparameter("initial_mean", value);
    }

    protected override void Update(IReadOnlyList<Stepped> group, int step, Tensor? hyper) =>
        group[0].Param.Backend.RmsPropStep([.. group.Select(s => new RmsPropTensors(s.Param, s.Grad, State(s.Index, SquareAvg, InitialMean)))],
            LearningRate, Alpha, Eps, WeightDecay, hyper);

    protected override float[] ReplayValues(int step) => [(float)LearningRate];
}
