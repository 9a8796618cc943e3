using System.CommandLine;
using RawGan.Checkpoints;
using RawGan.Images;
using RawGan.Recipes;

namespace RawGan.Cli;

/// <summary>`rawgan sample`: images from a checkpoint's generator, as one grid and/or one PNG each.</summary>
public static class SampleCommand
{
    /// <summary>The grid and the images are held in memory at once: 4,096 images of 128x128 are 800 MB.</summary>
    private const int MaxCount = 4096;

    public static Command Create(TextWriter output)
    {
        var checkpoint = new Option<string>("--checkpoint") { Description = "A checkpoint file written by rawgan train, or a run folder: its newest checkpoint.", Required = true };
        var count = CheckedOptions.InRange("--count", "Number of images.", 64, min: 1, max: MaxCount);
        var seed = new Option<ulong>("--seed") { Description = "Seed of the latent vectors.", DefaultValueFactory = _ => 0 };
        var outPath = CheckedOptions.ImageOutput("--out", "The grid image to write", "samples.png");
        var each = new Option<string?>("--each") { Description = "Also write each image as its own PNG into this folder." };
        var device = new Option<string>("--device") { Description = "auto, cpu or cuda.", DefaultValueFactory = _ => "auto" };
        var tensors = new Option<string?>("--save-tensors") { Description = "Also save the latents and images as safetensors (z, images), e.g. to compare with PyTorch." };
        var command = new Command("sample", "Generate images from a checkpoint.");
        foreach (var o in new Option[] { checkpoint, count, seed, outPath, each, device, tensors }) command.Options.Add(o);
        command.SetAction(parsed =>
        {
            int n = parsed.GetValue(count);
            var dev = DeviceChoice.Resolve(parsed.GetValue(device)!, output);
            var (recipe, info, _) = Checkpoint.Load(parsed.GetValue(checkpoint)!, dev);
            using var owned = recipe;
            using var scope = new TensorScope();
            var z = recipe.SampleLatent(n, new Generator(parsed.GetValue(seed)));
            var (pixels, imageShape) = Generate(recipe, z);
            var (c, h, w) = (imageShape[1], imageShape[2], imageShape[3]);
            var grid = parsed.GetValue(outPath)!;
            ImageGrid.Save(grid, pixels, n, c, h, w, recipe.DataRange, nrow: (int)Math.Ceiling(Math.Sqrt(n)));
            output.WriteLine($"wrote {n} sample{(n == 1 ? "" : "s")} of {info.Recipe} step {info.Step} to {grid}");
            if (parsed.GetValue(tensors) is { } tensorPath)
            {
                var saved = new Serialization.SafeTensorsFile();
                saved.Add("z", z.ToFloatArray(), z.Shape);
                saved.Add("images", pixels, imageShape);
                saved.Write(tensorPath);
                output.WriteLine($"wrote z and images to {tensorPath}");
            }
            if (parsed.GetValue(each) is { } dir)
            {
                ImageGrid.SaveEach(dir, pixels, n, c, h, w, recipe.DataRange);
                output.WriteLine($"wrote {n} images to {dir}");
            }
            return 0;
        });
        return command;
    }

    /// <summary>G(z), a slice of z at a time: the activations of thousands of images at once would not
    /// fit a GPU. Returns the images' values and shape.</summary>
    private static (float[] Pixels, int[] Shape) Generate(IGanRecipe recipe, Tensor z)
    {
        const int Slice = 256;
        int n = z.Shape[0];
        float[]? pixels = null;
        int[] shape = [];
        for (int start = 0; start < n; start += Slice)
        {
            using var scope = new TensorScope();
            var images = recipe.Generate(F.Slice(z, 0, start, Math.Min(n, start + Slice)));
            int each = images.NumEl / images.Shape[0];
            pixels ??= new float[n * each];
            images.ToFloatArray().CopyTo(pixels, start * each);
            shape = [n, .. images.Shape[1..]];
        }
        return (pixels!, shape);
    }
}
