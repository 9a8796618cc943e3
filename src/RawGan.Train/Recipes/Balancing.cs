using System.Text.Json.Serialization;
using RawGan.Nn;
using RawGan.Optim;

namespace RawGan.Recipes;

/// <summary>How the 2015 Torch faces GAN keeps G and D in step ("Balancing the GAN game").</summary>
[JsonConverter(typeof(JsonStringEnumConverter<BalanceRule>))]
public enum BalanceRule
{
    /// <summary>Both networks update every step.</summary>
    None,
    /// <summary>A network sits out the steps where it is too far ahead (<see cref="Balancing.Skip"/>).</summary>
    Skip,
    /// <summary>D's L2 coefficient follows the generator error (<see cref="Balancing.AdjustL2"/>).</summary>
    L2,
}

/// <summary>
/// The seed's two balancing rules, on the errors of one step. Errors are the BCE criterion's:
/// err_R is D's error on real images (target 1), err_F D's error on G's images (target 0), both
/// measured on the step's batch before D's update; f is G's error, BCE of D(G(z)) against target 1.
/// </summary>
public static class Balancing
{
    public const double Margin = 0.3;
    public const double L2Step = 1e-5;
    public const double GenLow = 0.9;
    public const double GenHigh = 1.3;

    /// <summary>`--balance skip`: D sits out when it is already right (err_F &lt; margin or err_R &lt;
    /// margin), G sits out when D is badly wrong (err_F &gt; 1 - margin or err_R &gt; 1 - margin); if
    /// both would sit out, both update. Comparisons are strict: an error exactly at a bound updates.</summary>
    public static (bool UpdateD, bool UpdateG) Skip(double errR, double errF, double margin = Margin)
    {
        bool updateD = !(errF < margin || errR < margin);
        bool updateG = !(errF > 1 - margin || errR > 1 - margin);
        return updateD || updateG ? (updateD, updateG) : (true, true);
    }

    /// <summary>`--balance l2`: D's L2 coefficient goes up by 1e-5 when f &gt; 1.3 (D is winning),
    /// down by 1e-5 when f &lt; 0.9 (G is winning), never below 0; inside [0.9, 1.3] it stays.</summary>
    public static double AdjustL2(double coefficient, double f) =>
        f > GenHigh ? coefficient + L2Step : f < GenLow ? Math.Max(0, coefficient - L2Step) : coefficient;
}

/// <summary>
/// A balancing rule applied to one GAN: decides each step's updates and keeps the state a
/// checkpoint must carry. D's L2 coefficient is its RMSprop's weight decay (the gradient of
/// coef/2 ||θ_D||², the seed's coefL2 term), so it is saved with the optimizer's hyper-parameters;
/// the recent skips live in <see cref="Window"/>, a module the recipe registers as "balance".
/// </summary>
public sealed class Balancer(BalanceRule rule, RMSprop optD)
{
    /// <summary>Steps over which skipped updates are counted for the monitor.</summary>
    public const int WindowLength = 100;

    public BalanceRule Rule { get; } = rule;
    public SkipWindow Window { get; } = new(WindowLength);

    /// <summary>Metric columns of <see cref="Record"/>: this step's skips (0/1), skips in the last
    /// <see cref="WindowLength"/> steps, and D's L2 coefficient for the next step.</summary>
    public static IReadOnlyList<string> MetricNames => ["skip_D", "skip_G", "skips_D", "skips_G", "l2_coef"];

    public static IReadOnlyList<(string Title, string[] Series)> Panels =>
    [
        ($"skipped updates in the last {WindowLength} steps", ["skips_D", "skips_G"]),
        ("D's L2 coefficient", ["l2_coef"]),
    ];

    /// <summary>Which networks update this step, from D's errors before its update (reads them from the device).</summary>
    public (bool UpdateD, bool UpdateG) Decide(Tensor errR, Tensor errF) =>
        Rule == BalanceRule.Skip ? Balancing.Skip(errR.Item(), errF.Item()) : (true, true);

    /// <summary>After G's step: moves D's L2 coefficient by the rule, counts the skips, returns the metrics.</summary>
    public IReadOnlyList<Tensor> Record(bool updateD, bool updateG, Tensor f)
    {
        if (Rule == BalanceRule.L2) optD.WeightDecay = Balancing.AdjustL2(optD.WeightDecay, f.Item());
        var skips = Tensor.FromArray([updateD ? 0f : 1f, updateG ? 0f : 1f], [2], f.Device);
        var counts = Window.Forward(skips);
        return [skips.Slice(0, 0, 1), skips.Slice(0, 1, 2), counts.Slice(0, 0, 1), counts.Slice(0, 1, 2),
            Tensor.Scalar(optD.WeightDecay, device: f.Device)];
    }
}

/// <summary>Counts skipped updates over the last <c>length</c> steps: Forward takes one step's flags
/// [2] (1 where D, then G, sat out), shifts them into the buffer "recent" [2, length] and returns
/// the counts [2]. A buffer, so a resumed run continues the same window.</summary>
public sealed class SkipWindow : Module
{
    private readonly Tensor _recent;

    public SkipWindow(int length) => _recent = RegisterBuffer("recent", Tensor.Zeros([2, length]));

    public override Tensor Forward(Tensor x)
    {
        using var noGrad = Autograd.Autograd.NoGrad();
        _recent.CopyFrom(F.Concat([_recent.Slice(1, 1, _recent.Shape[1]), x.Reshape(2, 1)], 1));
        return _recent.Sum([1]);
    }
}
