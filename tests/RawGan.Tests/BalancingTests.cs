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
