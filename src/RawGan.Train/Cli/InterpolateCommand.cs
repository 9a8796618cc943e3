using System.CommandLine;
using System.Text.RegularExpressions;
using RawGan.Images;
using RawGan.Latent;
using RawGan.Recipes;

namespace RawGan.Cli;

/// <summary>`rawgan interpolate`: latent-space movies from a checkpoint's generator (frames, an
/// animated GIF, an MP4 when ffmpeg is on the PATH): between random latents, along a smooth random
/// walk, or between the latents of two inverted real images.</summary>
public static partial class InterpolateCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var mode = new Option<WalkMode>("--mode") { Description = "lerp or slerp between two latents, or walk: a smooth closed random walk.", DefaultValueFactory = _ => WalkMode.Slerp };
        var frames = CheckedOptions.InRange("--frames", "Frames in the movie.", 60, min: 1, max: 10_000);
        var count = CheckedOptions.InRange("--count", "Walks shown side by side, as a grid (random latents only).", 1, min: 1, max: 256);
        var keys = CheckedOptions.InRange("--keys", "Random keyframes of a walk.", 4, min: 2, max: 1_000);
        // GIF delays are whole hundredths, and browsers slow anything under 2 to 10 fps: 50 fps at most.
        var fps = CheckedOptions.InRange("--fps", "Frames per second of the GIF and MP4.", 15, min: 1, max: 50);
        var from = new Option<string?>("--from-image") { Description = "Start at the inverted latent of this image (needs --to-image)." };
        var to = new Option<string?>("--to-image") { Description = "End at the inverted latent of this image." };
        var outDir = new Option<string>("--out") { Description = "Folder for frames/, interpolation.gif and interpolation.mp4.", Required = true };
        var command = new Command("interpolate", "Walk a checkpoint's latent space: frames, an animated GIF and (with ffmpeg) an MP4.");
        foreach (var o in new Option[] { InvertCommand.Checkpoint, mode, frames, count, keys, fps, from, to, outDir,
                     InvertCommand.Steps, InvertCommand.Lr, InvertCommand.Crop, InvertCommand.Seed, InvertCommand.DeviceOption })
            command.Options.Add(o);
        command.SetAction(parsed =>
        {
            int n = parsed.GetValue(frames), walks = parsed.GetValue(count), rate = parsed.GetValue(fps), keyframes = parsed.GetValue(keys);
            var (fromImage, toImage) = (parsed.GetValue(from), parsed.GetValue(to));
            if ((fromImage is null) != (toImage is null)) throw new ArgumentException("--from-image and --to-image go together");
            if (fromImage is not null && (walks > 1 || parsed.GetValue(mode) == WalkMode.Walk))
                throw new ArgumentException("between two images the movie is one lerp or slerp: no --count, no --mode walk");
            var dir = Directory.CreateDirectory(parsed.GetValue(outDir)!).FullName;
            using var recipe = InvertCommand.Open(parsed, output);
            using var scope = new TensorScope();

            IReadOnlyList<float[]>[] paths;
            int[] latentShape;
            if (fromImage is not null)
            {
                var result = InvertCommand.Invert(recipe, [fromImage, toImage!], parsed);
                result.SavePairs(Path.Combine(dir, "endpoints.png"));
                output.WriteLine($"inverted {fromImage} and {toImage}: L1 {result.FinalL1[0]:F4} and {result.FinalL1[1]:F4} (pairs in endpoints.png)");
                var ends = Rows(result.Z);
                paths = [LatentWalk.Between(ends[0], ends[1], n, parsed.GetValue(mode))];
                latentShape = result.Z.Shape[1..];
            }
            else
            {
                var rng = new Generator(parsed.GetValue(InvertCommand.Seed));
                var draws = Enumerable.Range(0, parsed.GetValue(mode) == WalkMode.Walk ? keyframes : 2).Select(_ => recipe.SampleLatent(walks, rng)).ToList();
                latentShape = draws[0].Shape[1..];
                var rows = draws.Select(Rows).ToList();
                paths = [.. Enumerable.Range(0, walks).Select(w => parsed.GetValue(mode) == WalkMode.Walk
                    ? LatentWalk.Loop([.. rows.Select(r => r[w])], n)
                    : LatentWalk.Between(rows[0][w], rows[1][w], n, parsed.GetValue(mode)))];
            }

            var images = Render(recipe, paths, latentShape);
            var framesDir = Path.Combine(dir, "frames");
            Directory.CreateDirectory(framesDir);
            foreach (var old in Directory.GetFiles(framesDir, "*.png").Where(f => FrameName().IsMatch(Path.GetFileName(f)))) File.Delete(old);
            for (int i = 0; i < images.Count; i++) images[i].Save(Path.Combine(framesDir, $"{i:D6}.png"));
            var gif = Path.Combine(dir, "interpolation.gif");
            GifWriter.Save(gif, images, (int)Math.Round(100.0 / rate));
            output.WriteLine($"wrote {images.Count} frames to {framesDir} and {gif}");
            if (Ffmpeg.Find() is not { } ffmpeg)
                output.WriteLine("no ffmpeg on the PATH: no MP4 (the GIF and frames are complete)");
            else if (Ffmpeg.EncodeMp4(ffmpeg, framesDir, rate, Path.Combine(dir, "interpolation.mp4")) is { } failure)
                error.WriteLine($"rawgan: warning: {failure}");
            else
                output.WriteLine($"wrote {Path.Combine(dir, "interpolation.mp4")}");
            return 0;
        });
        return command;
    }

    /// <summary>Each sample's latent as a flat vector.</summary>
    private static float[][] Rows(Tensor z)
    {
        var data = z.ToFloatArray();
        int per = data.Length / z.Shape[0];
        return [.. Enumerable.Range(0, z.Shape[0]).Select(i => data.AsSpan(i * per, per).ToArray())];
    }

    /// <summary>One image per frame: G of every walk's latent at that frame, as a grid when there are several.</summary>
    private static List<RgbImage> Render(IGanRecipe recipe, IReadOnlyList<float[]>[] paths, int[] latentShape)
    {
        int walks = paths.Length, frames = paths[0].Count;
        var device = recipe.GeneratorModule.Parameters().First().Device;
        var images = new List<RgbImage>(frames);
        for (int f = 0; f < frames; f++)
        {
            using var scope = new TensorScope();
            var z = Tensor.FromArray([.. paths.SelectMany(p => p[f])], [walks, .. latentShape], device);
            var x = recipe.Generate(z);
            images.Add(ImageGrid.Compose(x.ToFloatArray(), walks, x.Shape[1], x.Shape[2], x.Shape[3], recipe.DataRange,
                nrow: (int)Math.Ceiling(Math.Sqrt(walks)), padding: walks == 1 ? 0 : 2));
        }
        return images;
    }

    [GeneratedRegex(@"^\d{6}\.png$")]
    private static partial Regex FrameName();
}
