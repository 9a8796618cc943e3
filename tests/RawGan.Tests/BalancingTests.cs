using RawGan.Optim;
using RawGan.Recipes;

namespace RawGan.Tests;

/// <summary>The Torch faces GAN's balancing rules on scripted errors, edges included.</summary>
public class BalancingTests
{
    [Theory]
    [InlineData(0.5, 0.5, true, true)]     // both errors mid-range: both update
    [InlineData(0.5, 0.29, false, true)]   // D right about fakes: D sits out
    [InlineData(0.29, 0.5, false, true)]   // D right about reals: D sits out
    [InlineData(0.5, 0.3, true, true)]     // err_F exactly at the margin: D updates
    [InlineData(0.3, 0.5, true, true)]     // err_R exactly at the margin: D updates
    [InlineData(0.5, 0.71, true, false)]   // D badly wrong about fakes: G sits out
    [InlineData(0.71, 0.5, true, false)]   // D badly wrong about reals: G sits out
    [InlineData(0.5, 0.7, true, true)]     // err_F exactly at 1 - margin: G updates
    [InlineData(0.7, 0.5, true, true)]     // err_R exactly at 1 - margin: G updates
    [InlineData(0.2, 0.8, true, true)]     // both would sit out: both update
    [InlineData(0.8, 0.2, true, true)]     // both would sit out, the other way round: both update
    [InlineData(0.1, 0.2, false, true)]    // D far ahead: only G updates
    [InlineData(0.9, 1.5, true, false)]    // G far ahead: only D updates
    public void Skip_DecidesEachUpdate_AsTheSeed(double errR, double errF, bool updateD, bool updateG) =>
        Assert.Equal((updateD, updateG), Balancing.Skip(errR, errF));

    [Fact]
    public void Skip_OneMinusMargin_IsTheLiteralBound()
    {
        Assert.Equal(0.7, 1 - Balancing.Margin);
        Assert.Equal((true, true), Balancing.Skip(1 - Balancing.Margin, 1 - Balancing.Margin));
        Assert.Equal((true, false), Balancing.Skip(1 - Balancing.Margin, Math.BitIncrement(1 - Balancing.Margin)));
        Assert.Equal((false, true), Balancing.Skip(Math.BitDecrement(Balancing.Margin), 0.5));
    }

    [Fact]
    public void Skip_OnAScriptedRun_GivesTheSeedsDecisions()
    {
        (double R, double F)[] errors = [(0.69, 0.69), (0.5, 0.25), (0.2, 0.2), (0.35, 0.75), (0.25, 0.9), (0.3, 0.7)];
        (bool, bool)[] expected = [(true, true), (false, true), (false, true), (true, false), (true, true), (true, true)];
        Assert.Equal(expected, errors.Select(e => Balancing.Skip(e.R, e.F)));
    }

    [Fact]
    public void L2_OnAScriptedRun_MovesByOneStepOutsideTheBand_AndNeverBelowZero()
    {
        double[] f = [1.5, 1.31, 1.3, 1.0, 0.9, 0.89, 0.5, 0.5, 0.5, 2.0, 0.1];
        double[] expected = [1e-5, 2e-5, 2e-5, 2e-5, 2e-5, 1e-5, 0, 0, 0, 1e-5, 0];
        double coefficient = 0;
        for (int i = 0; i < f.Length; i++)
        {
            coefficient = Balancing.AdjustL2(coefficient, f[i]);
            Assert.True(Math.Abs(coefficient - expected[i]) < 1e-15, $"step {i}: f = {f[i]} gave {coefficient}, expected {expected[i]}");
            Assert.True(coefficient >= 0, $"step {i}: coefficient {coefficient} < 0");
        }
    }

    [Theory]
    [InlineData(0.0, 0.5, 0.0)]        // at zero, G winning: stays at zero
    [InlineData(4e-6, 0.5, 0.0)]       // less than one step above zero: clamped to zero
    [InlineData(1e-5, 0.89, 0.0)]      // one step above zero: exactly zero
    [InlineData(3e-5, 0.9, 3e-5)]      // lower band edge: unchanged
    [InlineData(3e-5, 1.3, 3e-5)]      // upper band edge: unchanged
    [InlineData(3e-5, 1.3000001, 4e-5)]
    [InlineData(3e-5, 0.8999999, 2e-5)]
    public void L2_AtTheEdges(double coefficient, double f, double expected) =>
        Assert.Equal(expected, Balancing.AdjustL2(coefficient, f), 15);

    // The recipes obey the rule: a network that sits out keeps every weight, bit for bit. Each case is set
    // up so that the rule benches one network, and checked to move that network under --balance none.

    [Theory]
    [InlineData("torchfaces")]
    [InlineData("vaegan")]
    public void Skip_WhenDIsAlreadyRight_DKeepsItsWeights_ThatNoneWouldMove(string recipe)
    {
        // Reals are all +1; G's last convolution gives tanh(-10) = -1 everywhere. D sums its input with
        // positive weights, so a real image drives its logit far above 0 and a fake (ReLU of a negative
        // sum) leaves it at the bias, -3: err_F = softplus(-3) = 0.05 < margin, and D sits out.
        static void Rig(IGanRecipe gan)
        {
            SetLast(Module(gan, "G"), weight: 0, bias: -10);
            foreach (var (name, p) in Module(gan, "D").NamedParameters())
                p.CopyFrom(Tensor.Full(p.Shape, name.EndsWith(".weight") ? 0.05 : 0));
            SetLast(Module(gan, "D"), weight: 0.05, bias: -3);
        }
        var (skipped, moved) = OneStep(recipe, BalanceRule.Skip, Rig, "D");
        Assert.Equal((1, 0), skipped);
        Assert.False(moved, "D sat out the step but its weights changed");
        Assert.True(OneStep(recipe, BalanceRule.None, Rig, "D").Moved, "--balance none: D's weights did not move, so the test shows nothing");
    }

    [Fact]
    public void Skip_WhenDIsBadlyWrong_GKeepsItsWeights_ThatNoneWouldMove()
    {
        // D's logits start near 0 (err 0.69 on both sides); a bias of -0.2 makes err_R about 0.8 > 1 - margin,
        // err_F about 0.6: G sits out, D updates. (vaegan's G learns from its reconstruction even then.)
        static void Rig(IGanRecipe gan) => SetLast(Module(gan, "D"), weight: null, bias: -0.2);
        var (skipped, moved) = OneStep("torchfaces", BalanceRule.Skip, Rig, "G");
        Assert.Equal((0, 1), skipped);
        Assert.False(moved, "G sat out the step but its weights changed");
        Assert.True(OneStep("torchfaces", BalanceRule.None, Rig, "G").Moved, "--balance none: G's weights did not move, so the test shows nothing");
    }

    /// <summary>One step of a tiny recipe on all-ones images after <paramref name="rig"/>: the step's
    /// (skip_D, skip_G) and whether any parameter of <paramref name="watched"/> changed.</summary>
    private static ((int D, int G) Skipped, bool Moved) OneStep(string recipe, BalanceRule rule, Action<IGanRecipe> rig, string watched)
    {
        var options = new VaeGanOptions { Size = 32, Nz = 8, Ngf = 4, Ndf = 4, Hidden = 16, Nef = 4, Balance = rule };
        using IGanRecipe gan = recipe == "vaegan"
            ? new VaeGanRecipe(options, Device.Cpu, new Generator(1), new Generator(2))
            : new TorchFacesRecipe(options, Device.Cpu, new Generator(1), new Generator(2));
        rig(gan);
        var before = Module(gan, watched).Parameters().Select(p => p.ToFloatArray()).ToArray();
        var metrics = gan.Step(Tensor.Ones([8, 3, 32, 32]));
        int Metric(string name) => (int)metrics[gan.MetricNames.ToList().IndexOf(name)].Item();
        var after = Module(gan, watched).Parameters().Select(p => p.ToFloatArray()).ToArray();
        return ((Metric("skip_D"), Metric("skip_G")), !before.Zip(after).All(pair => pair.First.SequenceEqual(pair.Second)));
    }

    private static Nn.Module Module(IGanRecipe gan, string name) => gan.Modules.Single(m => m.Name == name).Module;

    /// <summary>Fills the module's last layer (its last weight and bias); a null weight stays as it is.</summary>
    private static void SetLast(Nn.Module module, double? weight, double bias)
    {
        var parameters = module.Parameters().ToArray();
        if (weight is { } w) parameters[^2].CopyFrom(Tensor.Full(parameters[^2].Shape, w));
        parameters[^1].CopyFrom(Tensor.Full(parameters[^1].Shape, bias));
    }

    [Fact]
    public void Balancer_None_UpdatesBoth_AndKeepsTheCoefficient()
    {
        using var opt = NewOptimizer(2e-5);
        var balancer = new Balancer(BalanceRule.None, opt);
        using var window = balancer.Window;
        Assert.Equal((true, true), balancer.Decide(Tensor.Scalar(0.01), Tensor.Scalar(5)));
        balancer.Record(true, true, Tensor.Scalar(3));
        Assert.Equal(2e-5, opt.WeightDecay);
    }

    [Fact]
    public void Balancer_Skip_FollowsTheRule_AndKeepsTheCoefficient()
    {
        using var opt = NewOptimizer(2e-5);
        var balancer = new Balancer(BalanceRule.Skip, opt);
        using var window = balancer.Window;
        Assert.Equal((false, true), balancer.Decide(Tensor.Scalar(0.1), Tensor.Scalar(0.5)));
        balancer.Record(false, true, Tensor.Scalar(3));
        Assert.Equal(2e-5, opt.WeightDecay);
    }

    [Fact]
    public void Balancer_L2_MovesDsWeightDecay_AndReportsIt()
    {
        using var opt = NewOptimizer(0);
        var balancer = new Balancer(BalanceRule.L2, opt);
        using var window = balancer.Window;
        Assert.Equal((true, true), balancer.Decide(Tensor.Scalar(0.01), Tensor.Scalar(5)));
        var metrics = balancer.Record(true, true, Tensor.Scalar(1.5));
        Assert.Equal(1e-5, opt.WeightDecay, 15);
        Assert.Equal(1e-5, metrics[^1].Item(), 9);
        balancer.Record(true, true, Tensor.Scalar(0.5));
        balancer.Record(true, true, Tensor.Scalar(0.5));
        Assert.Equal(0, opt.WeightDecay);
    }

    [Fact]
    public void Balancer_CountsSkips_OverTheLastWindowOfSteps()
    {
        using var opt = NewOptimizer(0);
        var balancer = new Balancer(BalanceRule.Skip, opt);
        using var window = balancer.Window;
        var skipsD = new List<bool>();
        var skipsG = new List<bool>();
        for (int step = 0; step < Balancer.WindowLength + 37; step++)
        {
            bool skipD = step % 3 == 0, skipG = step % 7 == 0 && !skipD;
            skipsD.Add(skipD);
            skipsG.Add(skipG);
            var m = balancer.Record(!skipD, !skipG, Tensor.Scalar(1)).Select(t => t.Item()).ToArray();
            Assert.Equal([skipD ? 1 : 0, skipG ? 1 : 0], m[..2]);
            Assert.Equal(skipsD.TakeLast(Balancer.WindowLength).Count(s => s), m[2]);
            Assert.Equal(skipsG.TakeLast(Balancer.WindowLength).Count(s => s), m[3]);
        }
        Assert.Equal(Balancer.MetricNames.Count, balancer.Record(true, true, Tensor.Scalar(1)).Count);
    }

    private static RMSprop NewOptimizer(double weightDecay) => new([Tensor.Zeros([1])], weightDecay: weightDecay);
}
