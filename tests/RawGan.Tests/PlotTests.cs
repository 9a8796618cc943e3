using RawGan.Cli;
using StbImageSharp;

namespace RawGan.Tests;

/// <summary>`rawgan plot`: several runs' curves in one image, and clear errors for what is not a run.</summary>
public class PlotTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rawgan-plot-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private (int Code, string Out, string Err) Plot(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = RawGanCli.Run(["plot", .. args], output, error);
        return (code, output.ToString(), error.ToString());
    }

    /// <summary>A run folder as rawgan train leaves it: config.json and metrics.jsonl (with an SWD column measured every 10 steps).</summary>
    private string Run(string name, string precision, int steps)
    {
        var folder = Path.Combine(_dir, name);
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "config.json"), "{\"recipe\": \"dcgan\", \"train\": {\"Precision\": \"" + precision + "\"}}");
        File.WriteAllLines(Path.Combine(folder, "metrics.jsonl"), Enumerable.Range(1, steps).Select(s =>
            $$"""{"step":{{s}},"epoch":0,"loss_D":{{1.0 / s}},"loss_G":{{2.0 + s % 3}}{{(s % 10 == 0 ? $",\"swd_avg\":{s}" : "")}},"lr":0.0002,"images_per_s":100}"""));
        return folder;
    }

    [Fact]
    public void TwoRuns_OnePanelPerMetric_LabelledWithTheirPrecision()
    {
        var a = Run("a", "fp32", 200);
        var b = Run("b", "bf16", 150);
        var png = Path.Combine(_dir, "out.png");
        var (code, output, error) = Plot(a, b, "--out", png);
        Assert.True(code == 0, error);
        // swd_avg is measured on every 10th step only; lr and images_per_s are not metrics.
        Assert.Contains("3 panels (loss_D, loss_G, swd_avg) of 2 runs, each a moving average over 2 steps", output);
        var image = ImageResult.FromMemory(File.ReadAllBytes(png), ColorComponents.RedGreenBlueAlpha);
        Assert.Equal((900, 900), (image.Width, image.Height));
    }

    [Fact]
    public void ChosenMetrics_IncludingOneMeasuredEveryFewSteps_AndRawValues()
    {
        var a = Run("a", "fp32", 50);
        var png = Path.Combine(_dir, "swd.png");
        var (code, output, error) = Plot(a, "--metrics", "swd_avg", "--smooth", "1", "--out", png);
        Assert.True(code == 0, error);
        Assert.Contains("1 panel (swd_avg) of 1 run", output);
        Assert.DoesNotContain("moving average", output);
        Assert.Equal(300, ImageResult.FromMemory(File.ReadAllBytes(png), ColorComponents.RedGreenBlueAlpha).Height);
    }

    [Fact]
    public void PaceColumns_WhenNamed_AndRunsWithNoneOfTheMetrics_AreSaid()
    {
        var a = Run("a", "fp32", 20);
        var other = Path.Combine(_dir, "other");
        Directory.CreateDirectory(other);
        File.WriteAllLines(Path.Combine(other, "metrics.jsonl"), ["{\"step\":1,\"gen\":0.5}", "{\"step\":2,\"gen\":0.4}"]);
        var (code, output, error) = Plot(a, other, "--metrics", "lr,loss_D", "--out", Path.Combine(_dir, "lr.png"));
        Assert.True(code == 0, error);
        Assert.Contains("not drawn: other (none of lr, loss_D; --metrics chooses others)", output);
        Assert.Contains("2 panels (lr, loss_D) of 1 run", output);
    }

    [Fact]
    public void ARunStillWriting_ItsPartialLastLineAndBlankLinesAreSkipped_ADamagedLineIsNamed()
    {
        var a = Run("a", "fp32", 20);
        string metrics = Path.Combine(a, "metrics.jsonl");
        File.AppendAllText(metrics, "\n\n{\"step\":21,\"epoch\":0,\"loss_D\":0.0");
        var (code, output, error) = Plot(a, "--smooth", "1", "--out", Path.Combine(_dir, "partial.png"));
        Assert.True(code == 0, error);
        Assert.Contains("of 1 run", output);

        var lines = File.ReadAllLines(metrics);
        lines[4] = lines[4][..10];
        File.WriteAllLines(metrics, lines);
        (code, _, error) = Plot(a);
        Assert.Equal(1, code);
        Assert.Contains($"{metrics} line 5 is not a JSON object", error);
    }

    [Fact]
    public void NotARun_UnknownMetric_AndBadSmoothing_AreClearErrors()
    {
        var a = Run("a", "fp32", 10);
        var (code, _, error) = Plot(Path.Combine(_dir, "missing"));
        Assert.Equal(1, code);
        Assert.Contains("no such run folder", error);

        Directory.CreateDirectory(Path.Combine(_dir, "empty"));
        (code, _, error) = Plot(Path.Combine(_dir, "empty"));
        Assert.Equal(1, code);
        Assert.Contains("no metrics.jsonl", error);

        (code, _, error) = Plot(a, "--metrics", "loss_X");
        Assert.Equal(1, code);
        Assert.Contains("no run has a metric 'loss_X'", error);
        Assert.Contains("loss_D, loss_G, swd_avg (and epoch, lr, images_per_s)", error);

        (code, _, error) = Plot(a, "--metrics", " , ");
        Assert.Equal(1, code);
        Assert.Contains("--metrics names no metric", error);

        (code, _, error) = Plot(a, "--smooth", "0");
        Assert.Equal(1, code);
        Assert.Contains("--smooth must be at least 1", error);
        Assert.False(File.Exists("compare.png"));
    }

    [Fact]
    public void MovingAverage_AveragesTheWindowEndingAtEachStep_SkippingGaps()
    {
        Assert.Equal([1, 1.5, 2.5, 3.5], PlotCommand.MovingAverage([1, 2, 3, 4], 2));
        var gaps = PlotCommand.MovingAverage([2, double.NaN, 4, 6], 3);
        Assert.Equal(2, gaps[0]);
        Assert.True(double.IsNaN(gaps[1]));
        Assert.Equal([3, 5], gaps.Skip(2));
    }
}
