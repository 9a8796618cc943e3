using System.CommandLine;
using System.Text.Json;
using RawGan.Cli;

namespace RawGan.Tests;

/// <summary>The no-GPU default of every `rawgan train` recipe (docs/cpu-preset.md): smaller nets on 32x32
/// synthetic faces, so that a first run on a laptop takes minutes, not hours.</summary>
public class CpuPresetTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rawgan-preset-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private (string Output, JsonElement Options, JsonElement Train) Train(string recipe, params string[] args)
    {
        var run = Path.Combine(_dir, recipe + args.Length);
        var output = new StringWriter();
        int code = RawGanCli.Run(["train", recipe, "--device", "cpu", "--out", run, .. args], output, output);
        Assert.True(code == 0, output.ToString());
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "config.json")));
        return (output.ToString(), config.RootElement.GetProperty("options").Clone(), config.RootElement.GetProperty("train").Clone());
    }

    [Theory]
    [InlineData("dcgan", 64, "Nz=64 Ngf=32 Ndf=32")]
    [InlineData("began", 16, "Filters=16")]
    [InlineData("torchfaces", 64, "Ngf=32 Ndf=32")]
    [InlineData("vaegan", 64, "Ngf=32 Ndf=32 Nef=32")]
    public void WithoutGpuOrData_EachRecipeTrainsTheSmallNets_AndSaysWhatItChose(string recipe, int batch, string widths)
    {
        var (output, options, train) = Train(recipe, "--steps", "1");
        Assert.Equal(32, options.GetProperty("Size").GetInt32());
        foreach (var pair in widths.Split(' ').Select(p => p.Split('=')))
        {
            Assert.Equal(int.Parse(pair[1]), options.GetProperty(pair[0]).GetInt32());
            Assert.Contains($"--{pair[0].ToLowerInvariant()} {pair[1]}", output);
        }
        Assert.Equal(batch, train.GetProperty("Batch").GetInt32());
        Assert.Equal(1, train.GetProperty("Steps").GetInt64());
        Assert.Contains($"the CPU preset of {recipe}: --size 32", output);
        Assert.DoesNotContain("--steps", output); // the user's --steps 1 stands
    }

    [Fact]
    public void AFlagOverridesItsValue_AndSizeTurnsThePresetOff()
    {
        var (output, options, _) = Train("began", "--filters", "8", "--steps", "1");
        Assert.Equal(8, options.GetProperty("Filters").GetInt32());
        Assert.Equal(32, options.GetProperty("Size").GetInt32());
        Assert.DoesNotContain("--filters", output);

        (output, options, var train) = Train("dcgan", "--size", "32", "--nz", "8", "--ngf", "4", "--ndf", "4", "--steps", "1");
        Assert.DoesNotContain("CPU preset", output);
        Assert.Equal(128, train.GetProperty("Batch").GetInt32()); // the recipe's own default, not the preset's 64
    }

    private static readonly Option<int?> Size = new("--size");
    private static readonly Option<int> Width = new("--width") { DefaultValueFactory = _ => 64 };

    private static (CpuPreset, RawGan.Training.TrainOptions) Parse(Device device, bool synthetic, params string[] args)
    {
        var command = new Command("recipe");
        TrainCommand.AddCommon(command);
        command.Options.Add(Size);
        command.Options.Add(Width);
        var parsed = command.Parse(args);
        Assert.Empty(parsed.Errors);
        return (new CpuPreset(parsed, device, synthetic, Size), TrainCommand.ReadCommon(parsed));
    }

    [Fact]
    public void IsOnOnlyOnTheCpu_OnSyntheticFaces_WithoutSize()
    {
        Assert.True(Parse(Device.Cpu, synthetic: true).Item1.On);
        Assert.False(Parse(Device.Cuda, synthetic: true).Item1.On);
        Assert.False(Parse(Device.Cpu, synthetic: false).Item1.On);
        Assert.False(Parse(Device.Cpu, synthetic: true, "--size", "32").Item1.On);

        var (off, common) = Parse(Device.Cuda, synthetic: true);
        Assert.Equal(64, off.Value(Width, 16));
        Assert.Equal(100, off.Value(Size, 32, otherwise: 100));
        Assert.Equal(common, off.Length(common, batch: 16, steps: 3000));
        var text = new StringWriter();
        off.Announce(text, "recipe");
        Assert.Empty(text.ToString());
    }

    [Fact]
    public void SetsBatchAndSteps_UnlessTheUserGaveThemOrEpochs()
    {
        var (preset, common) = Parse(Device.Cpu, synthetic: true);
        var chosen = preset.Length(common, batch: 16, steps: 3000);
        Assert.Equal((16, 3000L), (chosen.Batch, chosen.Steps!.Value));

        (preset, common) = Parse(Device.Cpu, synthetic: true, "--batch", "8", "--epochs", "2");
        chosen = preset.Length(common, batch: 16, steps: 3000);
        Assert.Equal((8, (long?)null, 2), (chosen.Batch, chosen.Steps, chosen.Epochs!.Value));

        (preset, common) = Parse(Device.Cpu, synthetic: true, "--width", "64");
        Assert.Equal(64, preset.Value(Width, 16)); // given, even if equal to the default
        Assert.Equal(32, preset.Value(Size, 32, otherwise: 64));
        preset.Length(common, batch: 16, steps: 3000);
        var text = new StringWriter();
        preset.Announce(text, "recipe");
        Assert.Contains("the CPU preset of recipe: --size 32, --batch 16, --steps 3000 (", text.ToString());
    }
}
