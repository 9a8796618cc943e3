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

    [Theory]
    [InlineData("--count must be between 1 and 4,096, got 5,000", "sample", "--checkpoint", "c.safetensors", "--count", "5000")]
    [InlineData("--fps must be between 1 and 50, got 0", "interpolate", "--checkpoint", "c.safetensors", "--out", "movie", "--fps", "0")]
    [InlineData("--frames must be between 1 and 10,000, got 2,147,483,647", "interpolate", "--checkpoint", "c.safetensors", "--out", "movie", "--frames", "2147483647")]
    [InlineData("--size must be between 16 and 1024", "eval", "--real", "faces", "--checkpoint", "c.safetensors", "--size", "7")]
    [InlineData("--crop must be between 0 and 100,000, got -4", "invert", "--checkpoint", "c.safetensors", "--image", "a.png", "--crop", "-4")]
    [InlineData("RawGan writes images as .png, .jpg (or .jpeg) or .bmp", "plot", "run", "--out", "curves.svg")]
    public void OutOfRangeValues_AreUsageErrors_NamingTheOptionAndItsLimits(string message, params string[] args)
    {
        var (code, _, error) = Run(args);
        Assert.Equal(RawGanCli.UsageError, code);
        Assert.Contains(message, error);
    }

    [Theory]
    [InlineData(2, "--n must be between 3 and 7, got 2.")]
    [InlineData(3, null)]
    [InlineData(7, null)]
    [InlineData(8, "--n must be between 3 and 7, got 8.")]
    public void InRange_AcceptsBothLimits_AndRefusesOneBeyond(int value, string? error)
    {
        var option = CheckedOptions.InRange("--n", "a number", 5, min: 3, max: 7);
        var parsed = new System.CommandLine.RootCommand { option }.Parse(["--n", $"{value}"]);
        Assert.Equal(error is null ? [] : [error], parsed.Errors.Select(e => e.Message));
    }

    [Theory]
    [InlineData("--count takes a whole number, not '1e3'", "sample", "--checkpoint", "c.safetensors", "--count", "1e3")]
    [InlineData("--steps takes a whole number, not '1.5'", "train", "dcgan", "--steps", "1.5")]
    [InlineData("--seed takes a whole number, 0 or more, not '-1'", "train", "dcgan", "--seed", "-1")]
    [InlineData("--lr takes a number, such as 0.0002 or 2e-4, not 'fast'", "train", "dcgan", "--lr", "fast")]
    [InlineData("--mode takes one of lerp, slerp, walk, not 'zoom'", "interpolate", "--checkpoint", "c.safetensors", "--out", "m.gif", "--mode", "zoom")]
    [InlineData("--lr takes a finite number, not 'NaN'", "invert", "--checkpoint", "c.safetensors", "--image", "a.png", "--lr", "NaN")]
    [InlineData("--beta1 takes a finite number, not 'Infinity'", "train", "dcgan", "--beta1", "Infinity")]
    public void ValuesOfTheWrongKind_AreUsageErrors_SayingWhatTheOptionTakes(string message, params string[] args)
    {
        var (code, _, error) = Run(args);
        Assert.Equal(RawGanCli.UsageError, code);
        Assert.Contains(message, error);
        Assert.DoesNotContain("System.", error);
    }

    [Theory]
    [InlineData("--beta1 must be in [0, 1), got 5", "dcgan", "--beta1", "5")]
    [InlineData("--conv-dropout and --dense-dropout must be in [0, 1), got 1 and", "torchfaces", "--conv-dropout", "1")]
    [InlineData("--kl-weight -1", "vaegan", "--kl-weight", "-1")]
    [InlineData("--real-label must be in (0, 1], got 0", "tfdcgan", "--real-label", "0")]
    [InlineData("--gamma must be in (0, 1], got 2", "began", "--gamma", "2")]
    public void BadRecipeOptions_AreRefusedBeforeTheDataIsRead(string message, string recipe, params string[] flags)
    {
        // The --data folder does not exist: reading it first would report that instead (and a real
        // folder would be decoded, minutes for CelebA, before the refusal).
        var (code, _, error) = Run(["train", recipe, "--data", Path.Combine(Path.GetTempPath(), "rawgan-no-such-folder"), "--device", "cpu", .. flags]);
        Assert.Equal(1, code);
        Assert.Contains(message, error);
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

    [Theory]
    [InlineData("cuda")]
    [InlineData("gpu")]
    public void DeviceCuda_WithoutAGpu_SaysWhatIsMissing_InTheUsersOwnWords(string device)
    {
        if (!CudaGpu.Missing) Assert.Skip("this machine has a GPU");
        var runFolder = Path.Combine(Path.GetTempPath(), $"rawgan-nogpu-{Guid.NewGuid():N}");
        var (code, _, error) = Run("train", "dcgan", "--device", device, "--steps", "1", "--out", runFolder);
        Assert.Equal(1, code);
        Assert.StartsWith($"rawgan: --device {device}: the CUDA backend is unavailable", error);
        Assert.Contains("rawgan doctor", error);
        Assert.DoesNotContain("Exception", error);
        Assert.False(Directory.Exists(runFolder));
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
