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
        Assert.Contains("cache ", output);
    }

    [Fact]
    public void Doctor_CountsTheImagePacks_AndTheirSize()
    {
        var folder = Directory.CreateTempSubdirectory("rawgan-doctor-").FullName;
        try
        {
            Assert.Contains(": 0 image packs, 0 MB", DoctorCommand.ImageCache(Path.Combine(folder, "none")));
            File.WriteAllBytes(Path.Combine(folder, "a-64px-1.pack"), new byte[2_000_000]);
            File.WriteAllBytes(Path.Combine(folder, "b-32px-2.pack"), new byte[1_000_000]);
            File.WriteAllBytes(Path.Combine(folder, "kernel.cubin"), new byte[5_000_000]);
            Assert.Equal($"{folder}: 2 image packs, 3 MB (decoded --data folders; safe to delete, rebuilt when needed; RAWGAN_CACHE moves it)",
                DoctorCommand.ImageCache(folder));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
