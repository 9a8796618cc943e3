using System.Text.Json;
using RawGan.Checkpoints;
using RawGan.Cli;
using RawGan.Data;
using RawGan.Images;
using RawGan.Latent;
using RawGan.Recipes;
using RawGan.Training;
using StbImageSharp;

namespace RawGan.Tests;

/// <summary>Latent inversion, interpolation paths, the GIF encoder (decoded back by stb_image), and
/// `rawgan invert` / `rawgan interpolate` on a checkpoint of a tiny BEGAN.</summary>
public class LatentTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rawgan-latent-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static double Distance(float[] a, float[] b) => Math.Sqrt(a.Zip(b, (x, y) => (double)(x - y) * (x - y)).Sum());

    [Fact]
    public void Inversion_LowersL1_AndRecoversTheLatent_OfASmallBeganGenerator()
    {
        // BEGAN's decoder with one block: 8x8 images from 4 latents.
        using var g = BeganRecipe.BuildDecoder(size: 8, n: 8, inputs: 4, new Generator(11));
        using var scope = new TensorScope();
        var zTrue = Tensor.FromArray([0.6f, -0.4f, 0.2f, -0.7f, -0.3f, 0.5f, 0.8f, 0.1f], [2, 4]);
        Tensor target;
        using (Autograd.Autograd.NoGrad()) target = g.Forward(zTrue);
        var zStart = Tensor.FromArray([-0.2f, 0.3f, -0.5f, 0.1f, 0.4f, -0.2f, 0.0f, -0.6f], [2, 4]);
        var weights = g.Parameters().Select(p => p.ToFloatArray()).ToList();

        var result = Inversion.Invert(g, target, zStart, steps: 300, lr: 0.02);

        for (int i = 0; i < 2; i++)
            Assert.True(result.FinalL1[i] < 0.05 * result.StartL1[i], $"image {i}: L1 {result.StartL1[i]:G4} -> {result.FinalL1[i]:G4}, expected a 20-fold fall");
        double before = Distance(zStart.ToFloatArray(), zTrue.ToFloatArray()), after = Distance(result.Z.ToFloatArray(), zTrue.ToFloatArray());
        Assert.True(after < 0.1 * before, $"|z - z*| went from {before:G4} to {after:G4}, expected a 10-fold fall");
        // G was frozen: same weights, no gradients, and still trainable afterwards.
        Assert.All(g.Parameters().Zip(weights), pw => Assert.Equal(pw.Second, pw.First.ToFloatArray()));
        Assert.All(g.Parameters(), p => Assert.True(p.RequiresGrad && p.Grad is null));
    }

    [Fact]
    public void Inversion_WorksOnDcgan_WithItsFourDimensionalLatent()
    {
        using var g = DcganRecipe.BuildGenerator(32, nz: 4, ngf: 4, new Generator(5));
        using var scope = new TensorScope();
        g.Eval();
        var zTrue = Tensor.Randn([1, 4, 1, 1], new Generator(6));
        Tensor target;
        using (Autograd.Autograd.NoGrad()) target = g.Forward(zTrue);
        var result = Inversion.Invert(g, target, Tensor.Randn([1, 4, 1, 1], new Generator(7)), steps: 60, lr: 0.05);
        Assert.Equal([1, 4, 1, 1], result.Z.Shape);
        Assert.True(result.FinalL1[0] < 0.5 * result.StartL1[0], $"L1 {result.StartL1[0]:G4} -> {result.FinalL1[0]:G4}");
    }

    [Fact]
    public void LerpAndSlerp_HitTheEndpoints_AndSlerpFollowsTheGreatCircle()
    {
        float[] a = [1, 0, 0], b = [0, 1, 0];
        Assert.Equal(a, LatentWalk.Slerp(a, b, 0));
        Assert.Equal(b, LatentWalk.Slerp(a, b, 1));
        var mid = LatentWalk.Slerp(a, b, 0.5);
        Assert.Equal(Math.Sqrt(0.5), mid[0], 6);
        Assert.Equal(Math.Sqrt(0.5), mid[1], 6);
        Assert.Equal([0.5f, 0.5f, 0f], LatentWalk.Lerp(a, b, 0.5));
        var third = LatentWalk.Slerp(a, b, 1.0 / 3);
        Assert.Equal(Math.Cos(Math.PI / 6), third[0], 6);  // a third of the 90-degree arc
        Assert.Equal([0.25f, 0.25f, 0f], LatentWalk.Slerp([0.5f, 0.5f, 0], [0, 0, 0], 0.5));  // degenerate: the line

        var path = LatentWalk.Between(a, b, 5, WalkMode.Slerp);
        Assert.Equal(5, path.Count);
        Assert.Equal(a, path[0]);
        Assert.Equal(b, path[^1]);
        Assert.All(path, z => Assert.Equal(1, Math.Sqrt(z.Sum(v => v * v)), 5));
    }

    [Fact]
    public void Walk_PassesThroughItsKeyframes_AndLoopsSmoothly()
    {
        var rng = new Random(4);
        var keys = Enumerable.Range(0, 4).Select(_ => Enumerable.Range(0, 6).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray()).ToList();
        var path = LatentWalk.Loop(keys, frames: 40);
        Assert.Equal(40, path.Count);
        for (int k = 0; k < 4; k++)
            for (int i = 0; i < 6; i++) Assert.Equal(keys[k][i], path[k * 10][i], 5);
        // Smooth and closed: the step from the last frame back to the first is like every other step.
        double[] steps = [.. Enumerable.Range(0, 40).Select(f => Distance(path[f], path[(f + 1) % 40]))];
        Assert.True(steps.Max() < 3 * steps.Average(), $"uneven steps: max {steps.Max():G3}, mean {steps.Average():G3}");
    }

    private static RgbImage Frame(int width, int height, Func<int, int, (int R, int G, int B)> color)
    {
        var pixels = new byte[width * height * 3];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                var (r, g, b) = color(x, y);
                pixels[(y * width + x) * 3] = (byte)r;
                pixels[(y * width + x) * 3 + 1] = (byte)g;
                pixels[(y * width + x) * 3 + 2] = (byte)b;
            }
        return new RgbImage(width, height, pixels);
    }

    /// <summary>Every frame as (width, height, delay, RGB bytes), decoded by stb_image's GIF reader
    /// (asked for RGBA: StbImageSharp's animated frames come as RGBA whatever is requested).</summary>
    private static List<(int Width, int Height, int DelayMs, byte[] Rgb)> Decode(byte[] gif)
    {
        using var stream = new MemoryStream(gif);
        return [.. ImageResult.AnimatedGifFramesFromStream(stream, ColorComponents.RedGreenBlueAlpha).Select(f =>
            (f.Width, f.Height, f.DelayInMs, f.Data.Where((_, i) => i % 4 != 3).ToArray()))];
    }

    [Fact]
    public void Gif_WithFewColours_DecodesToTheExactFrames()
    {
        // 5 frames of flat regions in 200 colours in all: long LZW runs, an exact palette.
        var frames = Enumerable.Range(0, 5).Select(f => Frame(90, 70, (x, y) => ((x / 9 + f) % 10 * 25, y / 7 * 25, f % 2 * 200))).ToList();
        var stream = new MemoryStream();
        GifWriter.Write(stream, frames, delayCentiseconds: 7);
        var bytes = stream.ToArray();
        Assert.Equal("GIF89a"u8.ToArray(), bytes[..6]);
        Assert.Equal(0x3B, bytes[^1]);

        var decoded = Decode(bytes);
        Assert.Equal(5, decoded.Count);
        for (int f = 0; f < 5; f++)
        {
            Assert.Equal((90, 70, 70), (decoded[f].Width, decoded[f].Height, decoded[f].DelayMs));
            Assert.True(frames[f].Pixels.AsSpan().SequenceEqual(decoded[f].Rgb), $"frame {f} differs after decoding");
        }
    }

    [Fact]
    public void Gif_WithManyColours_DecodesEachPixelToItsNearestPaletteColour()
    {
        // Noise: thousands of colours (the median cut), and codes enough to fill the LZW table several times.
        var rng = new Random(9);
        var frames = Enumerable.Range(0, 3).Select(_ => Frame(80, 60, (x, y) => (rng.Next(256), (x + y) % 256, rng.Next(64) * 4))).ToList();
        var stream = new MemoryStream();
        GifWriter.Write(stream, frames, delayCentiseconds: 4);
        Assert.True(GifWriter.Lzw(new byte[12000].Select((_, i) => (byte)rng.Next(256)).ToArray()).Length > 12000,
            "random indices should not compress: the table must have been cleared and rebuilt");

        var palette = GifWriter.BuildPalette(frames);
        var distances = new int[palette.Length];
        var decoded = Decode(stream.ToArray());
        Assert.Equal(3, decoded.Count);
        for (int f = 0; f < 3; f++)
        {
            var source = frames[f].Pixels;
            var data = decoded[f].Rgb;
            for (int p = 0; p < 80 * 60; p++)
            {
                int got = data[p * 3] << 16 | data[p * 3 + 1] << 8 | data[p * 3 + 2];
                for (int i = 0; i < palette.Length; i++) distances[i] = Squared(palette[i], source, p);
                if (Array.IndexOf(palette, got) < 0 || Squared(got, source, p) != distances.Min())
                    Assert.Fail($"frame {f} pixel {p}: decoded colour {got:X6} is not the palette colour nearest to the source's");
            }
        }

        static int Squared(int c, byte[] source, int p)
        {
            int dr = (c >> 16) - source[p * 3], dg = (c >> 8 & 0xFF) - source[p * 3 + 1], db = (c & 0xFF) - source[p * 3 + 2];
            return dr * dr + dg * dg + db * db;
        }
    }

    /// <summary>A checkpoint of an untrained tiny BEGAN (64x64, n = 2), as the commands read it.</summary>
    private string TinyBeganCheckpoint()
    {
        var options = JsonSerializer.Serialize(new BeganOptions { Filters = 2, Nz = 8, Hidden = 8 });
        using var recipe = Trainer.CreateRecipe("began", options, Device.Cpu, seed: 0);
        var path = Path.Combine(_dir, "began.safetensors");
        Checkpoint.Save(path, recipe, new CheckpointInfo("began", options, 0, new LoaderPosition(0, 0), 0, 0));
        return path;
    }

    private string FaceFile(int index)
    {
        var pixels = new byte[96 * 96 * 3];
        SyntheticFaces.Render(seed: 0, index, 96, pixels);
        var path = Path.Combine(_dir, $"face{index}.png");
        new RgbImage(96, 96, pixels).Save(path);
        return path;
    }

    private static (int Code, string Out) Run(params string[] args)
    {
        var output = new StringWriter();
        int code = RawGanCli.Run(args, output, output);
        return (code, output.ToString());
    }

    [Fact]
    public void InvertCommand_WritesPairs_AndPrintsTheFinalL1()
    {
        var checkpoint = TinyBeganCheckpoint();
        var pairs = Path.Combine(_dir, "pairs.png");
        var (code, output) = Run("invert", "--checkpoint", checkpoint, "--image", FaceFile(0), FaceFile(1), "--steps", "5", "--out", pairs, "--device", "cpu");
        Assert.True(code == 0, output);
        Assert.Contains("final L1", output);
        var image = RgbImage.Read(pairs);
        Assert.Equal((2 * 66 + 2, 2 * 66 + 2), (image.Width, image.Height));  // 2 rows of (target, G(z)), padding 2
    }

    [Fact]
    public void InterpolateCommand_WritesFrames_AndAGifWithOneFramePerStep()
    {
        var checkpoint = TinyBeganCheckpoint();
        var walk = Path.Combine(_dir, "walk");
        var (code, output) = Run("interpolate", "--checkpoint", checkpoint, "--mode", "walk", "--frames", "6", "--count", "4", "--out", walk, "--device", "cpu");
        Assert.True(code == 0, output);
        Assert.Equal(6, Directory.GetFiles(Path.Combine(walk, "frames"), "*.png").Length);
        var frames = Decode(File.ReadAllBytes(Path.Combine(walk, "interpolation.gif")));
        Assert.Equal(6, frames.Count);
        Assert.Equal((2 * 66 + 2, 2 * 66 + 2), (frames[0].Width, frames[0].Height));  // 2 x 2 grid of walks

        var between = Path.Combine(_dir, "between");
        (code, output) = Run("interpolate", "--checkpoint", checkpoint, "--from-image", FaceFile(2), "--to-image", FaceFile(3),
            "--mode", "lerp", "--frames", "4", "--steps", "3", "--out", between, "--device", "cpu");
        Assert.True(code == 0, output);
        Assert.True(File.Exists(Path.Combine(between, "endpoints.png")));
        Assert.Equal(4, Decode(File.ReadAllBytes(Path.Combine(between, "interpolation.gif"))).Count);

        (code, output) = Run("interpolate", "--checkpoint", checkpoint, "--from-image", FaceFile(2), "--mode", "slerp", "--out", between, "--device", "cpu");
        Assert.Equal(1, code);
        Assert.Contains("--to-image", output);
    }
}
