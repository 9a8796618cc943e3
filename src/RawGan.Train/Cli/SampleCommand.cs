using System.CommandLine;
using RawGan.Checkpoints;
using RawGan.Images;
using RawGan.Recipes;

namespace RawGan.Cli;

/// <summary>`rawgan sample`: images from a checkpoint's generator, as one grid and/or one PNG each.</summary>
public static class SampleCommand
{
    public static Command Create(TextWriter output)
    {
        var checkpoint = new Option<string>("--checkpoint") { Description = "A checkpoint file written by rawgan train, or a run folder: its newest checkpoint.", Required = true };
        var count = new Option<int>("--count") { Description = "Number of images.", DefaultValueFactory = _ => 64 };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the latent vectors.", DefaultValueFactory = _ => 0 };
        var outPath = ImageOutputOption.Create("--out", "The grid image to write", "samples.png");
        var each = new Option<string?>("--each") { Description = "Also write each image as its own PNG into this folder." };
        var device = new Option<string>("--device") { Description = "auto, cpu or cuda.", DefaultValueFactory = _ => "auto" };
        var tensors = new Option<string?>("--save-tensors") { Description = "Also save the latents and images as safetensors (z, images), e.g. to compare with PyTorch." };
        var command = new Command("sample", "Generate images from a checkpoint.");
        foreach (var o in new Option[] { checkpoint, count, seed, outPath, each, device, tensors }) command.Options.Add(o);
        command.SetAction(parsed =>
        {
            int n = parsed.GetValue(count);
            if (n < 1) throw new ArgumentException("--count must be positive");
            var dev = DeviceChoice.Resolve(parsed.GetValue(device)!, output);
            var (recipe, info, _) = Checkpoint.Load(parsed.GetValue(checkpoint)!, dev);
            using var owned = recipe;
            using var scope = new TensorScope();
            var z = recipe.SampleLatent(n, new Generator(parsed.GetValue(seed)));
            var images = recipe.Generate(z);
            var pixels = images.ToFloatArray();
            var (c, h, w) = (images.Shape[1], images.Shape[2], images.Shape[3]);
            var grid = parsed.GetValue(outPath)!;
            ImageGrid.Save(grid, pixels, n, c, h, w, recipe.DataRange, nrow: (int)Math.Ceiling(Math.Sqrt(n)));
            output.WriteLine($"wrote {n} samples of {info.Recipe} step {info.Step} to {grid}");
            if (parsed.GetValue(tensors) is { } tensorPath)
            {
                var saved = new Serialization.SafeTensorsFile();
                saved.Add("z", z.ToFloatArray(), z.Shape);
                saved.Add("images", pixels, images.Shape);
                saved.Write(tensorPath);
                output.WriteLine($"wrote z and images to {tensorPath}");
            }
            if (parsed.GetValue(each) is { } dir)
            {
                Directory.CreateDirectory(dir);
                ImageGrid.SaveEach(dir, pixels, n, c, h, w, recipe.DataRange);
                output.WriteLine($"wrote {n} images to {dir}");
            }
            return 0;
        });
        return command;
    }
}
