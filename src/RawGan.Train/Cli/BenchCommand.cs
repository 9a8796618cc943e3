using System.CommandLine;
using RawGan.Bench;
using RawGan.Recipes;
using RawGan.Training;

namespace RawGan.Cli;

/// <summary>`rawgan bench train RECIPE`: times training iterations on random data resident on the
/// device (docs/benchmarks.md); tools/peers/compare.sh runs it beside PyTorch.</summary>
public static class BenchCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var bench = new Command("bench", "Benchmarks: time RawGan's work on random data already on the device.");
        bench.Subcommands.Add(CreateTrain(output, error));
        return bench;
    }

    private static Command CreateTrain(TextWriter output, TextWriter error)
    {
        var recipe = new Argument<string>("recipe") { Description = $"The recipe to time: {string.Join(", ", RecipeCatalog.Names)}." };
        recipe.AcceptOnlyFromAmong([.. RecipeCatalog.Names]);
        var batch = new Option<int>("--batch") { Description = "Images per iteration.", Required = true };
        var size = new Option<int?>("--size") { Description = "Image size. Default: the recipe's." };
        var device = new Option<string>("--device") { Description = "auto, cpu or cuda.", DefaultValueFactory = _ => "auto" };
        device.AcceptOnlyFromAmong("auto", "cpu", "cuda");
        var precision = new Option<string>("--precision") { Description = "auto (tf32 on CUDA, fp32 on the CPU), fp32 (strict), tf32 (CUDA: tensor cores for fp32 products), or bf16 (products of bfloat16 copies; weights and optimizer state stay fp32; emulated, slower, on the CPU).", DefaultValueFactory = _ => Precision.Auto };
        precision.AcceptOnlyFromAmong(Precision.Choices);
        var graph = new Option<string>("--graph") { Description = "on: replay each iteration from a CUDA graph (CUDA; dcgan, tfdcgan, began; needs --warmup 2 or more, the eager step and the capture).", DefaultValueFactory = _ => "off" };
        graph.AcceptOnlyFromAmong("on", "off");
        var warmup = new Option<int>("--warmup") { Description = "Untimed iterations first.", DefaultValueFactory = _ => 3 };
        var iters = new Option<int>("--iters") { Description = "Timed iterations; the report gives their median, min and max.", DefaultValueFactory = _ => 20 };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the initialisation, noise and random batch.", DefaultValueFactory = _ => 0 };
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of the report." };
        var profile = new Option<bool>("--profile") { Description = "CUDA: then run --iters eager iterations more and list the GPU time of each kernel and cuDNN/cuBLAS call per iteration." };
        AtLeast(batch, 1);
        AtLeast(warmup, 0);
        AtLeast(iters, 1);

        var command = new Command("train", "Time training iterations of a recipe: ms per iteration, images/s, TFLOP/s, peak memory.");
        command.Arguments.Add(recipe);
        foreach (var o in new Option[] { batch, size, device, precision, graph, warmup, iters, seed, json, profile }) command.Options.Add(o);
        command.SetAction(parsed =>
        {
            // Device notes go to the error stream, so that --json prints nothing but the object.
            var target = DeviceChoice.Resolve(parsed.GetValue(device)!, error);
            var settings = new TrainBenchSettings(parsed.GetValue(recipe)!, parsed.GetValue(batch), parsed.GetValue(size),
                parsed.GetValue(precision)!, parsed.GetValue(warmup), parsed.GetValue(iters), parsed.GetValue(seed),
                parsed.GetValue(graph) == "on", parsed.GetValue(profile));
            var result = TrainBench.Run(settings, target);
            if (parsed.GetValue(json)) output.WriteLine(result.ToJson());
            else foreach (var line in result.Describe()) output.WriteLine(line);
            return 0;
        });
        return command;
    }

    private static void AtLeast(Option<int> option, int minimum) =>
        CheckedOptions.Check(option, value => value < minimum ? $"{option.Name} must be at least {minimum}, got {value}." : null);
}
