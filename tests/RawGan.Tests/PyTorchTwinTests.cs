using System.Diagnostics;
using System.Text.Json;
using RawGan.Bench;
using RawGan.Recipes;
using RawGan.Training;

namespace RawGan.Tests;

/// <summary>
/// The PyTorch twins of tools/peers/torch_recipes, which `tools/peers/compare.sh` times beside
/// `rawgan bench train`, do the same work as RawGan's recipes: the same parameters per network and the
/// same FLOPs per step (`bench_torch.py --describe`, which builds the twin and times nothing). A side-by-side
/// table is only fair while this holds. Skips where no Python with PyTorch is installed
/// (apt-get install python3-torch puts it at /usr/bin/python3).
/// </summary>
public class PyTorchTwinTests
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

    /// <summary>bench_torch.py --describe's JSON for the recipe, or a skip where PyTorch is missing.</summary>
    private static JsonElement Describe(string recipe, int? size)
    {
        var script = Script();
        var start = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { script, "--recipe", recipe, "--batch", "1", "--device", "cpu", "--threads", "1", "--describe" })
            start.ArgumentList.Add(arg);
        if (size is { } s)
        {
            start.ArgumentList.Add("--size");
            start.ArgumentList.Add(s.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2))) process.Kill();
        Assert.True(process.ExitCode == 0, $"bench_torch.py --recipe {recipe} --describe failed:\n{stderr.Result}");
        return JsonDocument.Parse(stdout).RootElement.Clone();
    }

    /// <summary>tools/peers/bench_torch.py above the test's build folder, or a skip.</summary>
    private static string Script()
    {
        if (!File.Exists(Python) || !ImportsTorch.Value)
            Assert.Skip($"{Python} cannot import torch (apt-get install python3-torch): the PyTorch twins need it");
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tools", "peers", "bench_torch.py");
            if (File.Exists(candidate)) return candidate;
        }
        Assert.Skip($"no tools/peers/bench_torch.py above {AppContext.BaseDirectory} (a published test executable carries no sources)");
        return "";
    }

    private static readonly Lazy<bool> ImportsTorch = new(() =>
    {
        var start = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add("import torch");
        using var process = Process.Start(start)!;
        process.StandardError.ReadToEnd();
        return process.WaitForExit(TimeSpan.FromMinutes(1)) && process.ExitCode == 0;
    });
}
