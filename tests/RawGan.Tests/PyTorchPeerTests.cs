using System.Diagnostics;
using System.Text.Json;
using RawGan.Bench;
using RawGan.Recipes;
using RawGan.Training;

namespace RawGan.Tests;

/// <summary>
/// RawGan beside PyTorch (tools/peers), on the CPU: the twins of tools/peers/torch_recipes, which
/// `tools/peers/compare.sh` times beside `rawgan bench train`, do the same work as RawGan's recipes (the
/// same parameters per network and FLOPs per step, from `bench_torch.py --describe`, which builds the
/// twin and times nothing: a side-by-side table is only fair while this holds); and a DCGAN generator
/// trained by RawGan loads into pytorch/examples' model and draws the same images (`dcgan_compat.py`).
/// Skips where no Python with PyTorch is installed (apt-get install python3-torch puts it at /usr/bin/python3).
/// </summary>
public class PyTorchPeerTests
{
    private const string Python = "/usr/bin/python3";

    public static TheoryData<string, int?> Recipes()
    {
        var data = new TheoryData<string, int?>();
        foreach (var name in RecipeCatalog.Names) data.Add(name, null);
        data.Add("dcgan", 32);
        data.Add("began", 128);
        return data;
    }

    [Theory]
    [MemberData(nameof(Recipes))]
    public void Twin_HasRawGansParameters_AndFlops(string recipe, int? size)
    {
        var twin = Describe(recipe, size);
        var entry = BenchRecipes.Get(recipe);
        using var gan = Trainer.CreateRecipe(recipe, entry.OptionsJson(size), Device.Cpu, seed: 0);
        using var scope = new TensorScope();
        var image = gan.Generate(gan.SampleLatent(1, new Generator(0)));
        long flops = entry.FlopsPerImage(TrainBench.TraceNetworks(gan, entry, image.Shape[1], image.Shape[2], Device.Cpu));

        Assert.Equal(image.Shape[2], twin.GetProperty("size").GetInt32());
        Assert.Equal(flops / 1e9, twin.GetProperty("gflop_per_image").GetDouble(), 1e-9);
        var parameters = twin.GetProperty("parameters");
        Assert.Equal(gan.Modules.Select(m => m.Name).Order(), parameters.EnumerateObject().Select(p => p.Name).Order());
        foreach (var (name, module) in gan.Modules)
            Assert.True(module.Parameters().Sum(p => (long)p.NumEl) == parameters.GetProperty(name).GetInt64(),
                $"{recipe} {name}: RawGan has {module.Parameters().Sum(p => (long)p.NumEl)} parameters, the PyTorch twin {parameters.GetProperty(name).GetInt64()}");
    }

    [Fact]
    public void DcganCheckpoint_LoadsIntoPyTorchsDcgan_AndDrawsTheSameImages()
    {
        var script = Script("dcgan_compat.py");
        var dir = Directory.CreateTempSubdirectory("rawgan-compat-").FullName;
        try
        {
            var (output, error) = (new StringWriter(), new StringWriter());
            Assert.Equal(0, Cli.RawGanCli.Run(["train", "dcgan", "--size", "32", "--batch", "8", "--steps", "2", "--out", Path.Combine(dir, "run")], output, error));
            string checkpoint = Path.Combine(dir, "run", "checkpoints", "step-000002.safetensors");
            string tensors = Path.Combine(dir, "z.safetensors");
            Assert.Equal(0, Cli.RawGanCli.Run(["sample", "--checkpoint", checkpoint, "--count", "8", "--out", Path.Combine(dir, "grid.png"), "--save-tensors", tensors], output, error));

            var (code, stdout, stderr) = RunPython(script, checkpoint, tensors, "--device", "cpu");
            Assert.True(code == 0, $"dcgan_compat.py exited {code}:\n{stdout}\n{stderr}");
            var result = JsonDocument.Parse(stdout).RootElement;
            Assert.Equal([8, 3, 32, 32], result.GetProperty("images").EnumerateArray().Select(e => e.GetInt32()));
            Assert.True(result.GetProperty("max_abs_diff").GetDouble() <= 1e-4, stdout);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>bench_torch.py --describe's JSON for the recipe, or a skip where PyTorch is missing.</summary>
    private static JsonElement Describe(string recipe, int? size)
    {
        string[] args = [Script("bench_torch.py"), "--recipe", recipe, "--batch", "1", "--device", "cpu", "--threads", "1", "--describe"];
        if (size is { } s) args = [.. args, "--size", s.ToString(System.Globalization.CultureInfo.InvariantCulture)];
        var (code, stdout, stderr) = RunPython(args);
        Assert.True(code == 0, $"bench_torch.py --recipe {recipe} --describe failed:\n{stderr}");
        return JsonDocument.Parse(stdout).RootElement.Clone();
    }

    private static (int Code, string Out, string Err) RunPython(params string[] args)
    {
        var start = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2))) process.Kill();
        return (process.ExitCode, stdout, stderr.Result);
    }

    /// <summary>tools/peers/<paramref name="name"/> above the test's build folder, or a skip.</summary>
    private static string Script(string name)
    {
        if (!File.Exists(Python) || !ImportsTorch.Value)
            Assert.Skip($"{Python} cannot import torch (apt-get install python3-torch): the PyTorch peers need it");
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tools", "peers", name);
            if (File.Exists(candidate)) return candidate;
        }
        Assert.Skip($"no tools/peers/{name} above {AppContext.BaseDirectory} (a published test executable carries no sources)");
        return "";
    }

    private static readonly Lazy<bool> ImportsTorch = new(() => RunPython("-c", "import torch").Code == 0);
}
