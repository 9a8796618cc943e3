using System.CommandLine;
using RawGan.Data;
using RawGan.Latent;
using RawGan.Recipes;

namespace RawGan.Cli;

/// <summary>`rawgan invert`: the latent of each given image under a checkpoint's generator
/// (BEGAN section 4.3), shown as target | reconstruction pairs with the L1 distance reached.</summary>
public static class InvertCommand
{
    public static readonly Option<string> Checkpoint = new("--checkpoint") { Description = "A checkpoint file written by rawgan train (any recipe), or a run folder: its newest checkpoint.", Required = true };
    public static readonly Option<int> Steps = new("--steps") { Description = "Adam steps on z.", DefaultValueFactory = _ => 1000 };
    public static readonly Option<double> Lr = new("--lr") { Description = "Adam learning rate of z.", DefaultValueFactory = _ => 0.01 };
    public static readonly Option<int> Crop = CheckedOptions.InRange("--crop", "Centre N x N box cut before resizing, as the run's --crop. Default (0): the largest centred square.", 0, min: 0, max: 100_000);
    public static readonly Option<ulong> Seed = new("--seed") { Description = "Seed of the starting (and random) latents.", DefaultValueFactory = _ => 0 };
    public static readonly Option<string> DeviceOption = new("--device") { Description = "auto, cpu or cuda.", DefaultValueFactory = _ => "auto" };

    public static Command Create(TextWriter output)
    {
        var images = new Option<string[]>("--image") { Description = "Image files to invert (JPEG, PNG, BMP).", Required = true, AllowMultipleArgumentsPerToken = true };
        var outPath = CheckedOptions.ImageOutput("--out", "Image of target | reconstruction pairs, one row per image", "invert.png");
        var command = new Command("invert", "Find the latent z whose G(z) is closest (L1) to each image, G frozen.");
        foreach (var o in new Option[] { Checkpoint, images, Steps, Lr, Crop, Seed, outPath, DeviceOption }) command.Options.Add(o);
        command.SetAction(parsed =>
        {
            var paths = parsed.GetValue(images)!;
            using var recipe = Open(parsed, output);
            using var scope = new TensorScope();
            var result = Invert(recipe, paths, parsed);
            var file = parsed.GetValue(outPath)!;
            result.SavePairs(file);
            for (int i = 0; i < paths.Length; i++)
                output.WriteLine($"{paths[i]}: L1 {result.StartL1[i]:F4} -> {result.FinalL1[i]:F4}");
            output.WriteLine($"final L1 (mean |x - G(z)|, pixels in [-1, 1]): {result.FinalL1.Average():F4} over {paths.Length} image(s); pairs in {file}");
            return 0;
        });
        return command;
    }

    /// <summary>The recipe a checkpoint was saved from, with its weights.</summary>
    public static IGanRecipe Open(ParseResult parsed, TextWriter output)
    {
        var device = DeviceChoice.Resolve(parsed.GetValue(DeviceOption)!, output);
        return Checkpoints.Checkpoint.Load(parsed.GetValue(Checkpoint)!, device).Recipe;
    }

    /// <summary>Loads the images at the generator's size and inverts them from latents drawn from the prior.</summary>
    public static InversionResult Invert(IGanRecipe recipe, IReadOnlyList<string> paths, ParseResult parsed)
    {
        var start = recipe.SampleLatent(paths.Count, new Generator(parsed.GetValue(Seed)));
        var targets = Inversion.LoadImages(paths, ImageSize(recipe), parsed.GetValue(Crop), start.Device);
        return Inversion.Invert(recipe.GeneratorModule, targets, start, parsed.GetValue(Steps), parsed.GetValue(Lr));
    }

    public static int ImageSize(IGanRecipe recipe) => recipe.Generate(recipe.SampleLatent(1, new Generator(0))).Shape[2];
}
