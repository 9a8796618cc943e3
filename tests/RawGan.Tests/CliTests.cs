using RawGan.Cli;

namespace RawGan.Tests;

public class CliTests
{
    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = RawGanCli.Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public void Help_ListsCommands_AndExitsZero()
    {
        var (code, output, _) = Run("--help");
        Assert.Equal(0, code);
        Assert.Contains("doctor", output);
    }

    [Fact]
    public void Version_PrintsTheAssemblyVersion()
    {
        var (code, output, _) = Run("--version");
        Assert.Equal(0, code);
        Assert.StartsWith("0.1.0", output.Trim());
    }

    [Theory]
    [InlineData("bogus")]
    [InlineData("doctor", "--no-such-option")]
    public void UnknownCommandOrOption_PrintsUsageHint_AndExitsTwo(params string[] args)
    {
        var (code, _, error) = Run(args);
        Assert.Equal(RawGanCli.UsageError, code);
        Assert.Contains("rawgan --help", error);
    }

    [Fact]
    public void Doctor_DescribesCpuAndSimd_AndSucceedsWithoutGpu()
    {
        var (code, output, _) = Run("doctor");
        Assert.Equal(0, code);
        Assert.Contains(".net", output);
        Assert.Contains("simd", output);
        Assert.Contains("device", output);
        Assert.Contains("cuDNN", output, StringComparison.OrdinalIgnoreCase);
    }
}
