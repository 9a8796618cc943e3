using System.Text.Json;
using RawGan.Bench;
using RawGan.Cli;
using RawGan.Nn;
using RawGan.Recipes;
using RawGan.Training;

namespace RawGan.Tests;

public class BenchTests
{
    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = RawGanCli.Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    private static Dictionary<string, NetworkFlops> Trace(string recipe, int? size = null)
    {
        var entry = BenchRecipes.Get(recipe);
        using var gan = Trainer.CreateRecipe(recipe, entry.OptionsJson(size), Device.Cpu, 0);
        using var scope = new TensorScope();
        var image = gan.Generate(gan.SampleLatent(1, new Generator(0)));
        return TrainBench.TraceNetworks(gan, entry, image.Shape[1], image.Shape[2], Device.Cpu);
    }

    // Hand count of DCGAN-64 (ngf = ndf = 64, nz = 100), FLOPs of one image's forward pass, 2 per multiply-add.
    // A transposed conv scatters each input pixel through Cout k^2 weights (Cin Cout k^2 Hin Win multiply-adds);
    // a conv gathers Cin k^2 inputs into each output pixel (Cin Cout k^2 Hout Wout).
    private const long G1 = 2L * 100 * 512 * 16 * 1 * 1;   // ConvT 100 -> 512, 1x1 -> 4x4      1,638,400
    private const long G2 = 2L * 512 * 256 * 16 * 4 * 4;   // ConvT 512 -> 256, 4x4 -> 8x8     67,108,864
    private const long G3 = 2L * 256 * 128 * 16 * 8 * 8;   // ConvT 256 -> 128, 8x8 -> 16x16   67,108,864
    private const long G4 = 2L * 128 * 64 * 16 * 16 * 16;  // ConvT 128 -> 64, 16x16 -> 32x32  67,108,864
    private const long G5 = 2L * 64 * 3 * 16 * 32 * 32;    // ConvT 64 -> 3, 32x32 -> 64x64     6,291,456
    private const long D1 = 2L * 3 * 64 * 16 * 32 * 32;    // Conv 3 -> 64, 64x64 -> 32x32      6,291,456
    private const long D2 = 2L * 64 * 128 * 16 * 16 * 16;  // Conv 64 -> 128, 32x32 -> 16x16   67,108,864
    private const long D3 = 2L * 128 * 256 * 16 * 8 * 8;   // Conv 128 -> 256, 16x16 -> 8x8    67,108,864
    private const long D4 = 2L * 256 * 512 * 16 * 4 * 4;   // Conv 256 -> 512, 8x8 -> 4x4      67,108,864
    private const long D5 = 2L * 512 * 1 * 16 * 1 * 1;     // Conv 512 -> 1, 4x4 -> 1x1            16,384

    [Fact]
    public void DcganStep_Flops_MatchTheHandCount()
    {
        const long g = G1 + G2 + G3 + G4 + G5; // 209,256,448
        const long d = D1 + D2 + D3 + D4 + D5; // 207,634,432
        // D: three forwards (real, detached fake, fake), three backwards at 2 forwards each, less the
        // input gradient of its first layer on real and on detached fakes. G: one forward, one
        // backward, less its first layer's input gradient (z needs none).
        const long step = 9 * d - 2 * D1 + 3 * g - G1;
        Assert.Equal(2_482_257_920L, step);

        var networks = Trace("dcgan");
        Assert.Equal([G1, G2, G3, G4, G5], networks["G"].Layers.Select(l => l.Forward));
        Assert.Equal([D1, D2, D3, D4, D5], networks["D"].Layers.Select(l => l.Forward));
        Assert.Equal(step, BenchRecipes.Get("dcgan").FlopsPerImage(networks));

        // Issue 9 quotes ~4.35 GFLOP per image. That figure counts G's four stride-2 transposed
        // convolutions (all but the first) on their output grid (Cin Cout k^2 Hout Wout), 4x too many:
        // a 4x4 kernel at stride 2 reaches each output pixel through only 2x2 of its taps per input
        // channel. With those four layers counted that way the same sum gives 4.35 GFLOP to the digit.
        const long gOutputGrid = G1 + 4 * (G2 + G3 + G4 + G5);
        Assert.Equal(4_350_820_352L, 9 * d - 2 * D1 + 3 * gOutputGrid - G1);
    }

    [Fact]
    public void ConvTranspose_Flops_EqualTheConvItIsTheAdjointOf()
    {
        // ConvT(64 -> 3, 32x32 -> 64x64) computes the input gradient of Conv(3 -> 64, 64x64 -> 32x32).
        var up = NetworkFlops.Count(new ConvTranspose2d(64, 3, 4, 2, 1, bias: false), [1, 64, 32, 32], [1, 3, 64, 64]);
        var down = NetworkFlops.Count(new Conv2d(3, 64, 4, 2, 1, bias: false), [1, 3, 64, 64], [1, 64, 32, 32]);
        Assert.Equal(down, up);
        Assert.Equal(2L * 100 * 512, NetworkFlops.Count(new Linear(100, 512), [1, 100], [1, 512]));
        Assert.Null(NetworkFlops.Count(new ReLU(), [1, 8], [1, 8]));
    }

    [Fact]
    public void Backward_DropsTheFirstLayersInputGradient_OnlyWhenTheInputNeedsNone()
    {
        var net = new NetworkFlops([new LayerFlops("0", "Conv2d", 10), new LayerFlops("2", "Conv2d", 100)]);
        Assert.Equal(110, net.Forward);
        Assert.Equal(220, net.Backward(inputGradient: true));
        Assert.Equal(210, net.Backward(inputGradient: false));
    }

    [Fact]
    public void EveryCatalogRecipe_HasABenchStep_WhoseNetworksTrace()
    {
        foreach (var name in RecipeCatalog.Names)
        {
            var networks = Trace(name);
            Assert.True(BenchRecipes.Get(name).FlopsPerImage(networks) > 0, name);
            Assert.All(networks.Values, n => Assert.NotEmpty(n.Layers));
        }
    }

    [Fact]
    public void Json_HasEveryField()
    {
        var (code, output, error) = Run("bench", "train", "dcgan", "--batch", "2", "--size", "32", "--device", "cpu", "--warmup", "0", "--iters", "2", "--json");
        Assert.True(code == 0, error);
        using var json = JsonDocument.Parse(output);
        var root = json.RootElement;
        foreach (var field in new[] { "ms_per_iter", "ms_min", "ms_max", "img_per_s", "tflops", "gflop_per_image", "peak_mem_mb", "alloc_mb_per_iter" })
            Assert.True(root.GetProperty(field).GetDouble() > 0, field);
        Assert.Equal("rawgan", root.GetProperty("engine").GetString());
        Assert.Equal("dcgan", root.GetProperty("recipe").GetString());
        Assert.Equal(2, root.GetProperty("batch").GetInt32());
        Assert.Equal(32, root.GetProperty("size").GetInt32());
        Assert.Equal("fp32", root.GetProperty("precision").GetString());
        Assert.Equal("cpu", root.GetProperty("device").GetString());
        Assert.Contains("threads", root.GetProperty("device_name").GetString());
        Assert.Equal(2, root.GetProperty("iters").GetInt32());
        Assert.Equal(0.420093952, root.GetProperty("gflop_per_image").GetDouble(), 12);
        var versions = root.GetProperty("versions");
        Assert.StartsWith("0.1", versions.GetProperty("rawgan").GetString());
        Assert.Contains(".NET", versions.GetProperty("dotnet").GetString());
        Assert.False(root.TryGetProperty("reserved_mb", out _));
    }

    [Fact]
    public void TinyCpuRun_ThroughTheCli_PrintsTheReport()
    {
        var (code, output, error) = Run("bench", "train", "tfdcgan", "--batch", "2", "--device", "cpu", "--warmup", "1", "--iters", "1");
        Assert.True(code == 0, error);
        Assert.Contains("bench train tfdcgan: batch 2, 28x28, cpu", output);
        Assert.Contains("ms/iter", output);
        Assert.Contains("img/s", output);
        Assert.Contains("GFLOP per image", output);
        Assert.Contains("peak working set", output);
    }

    [Fact]
    public void Tf32_OnTheCpu_FailsWithExitCodeOne()
    {
        var (code, output, error) = Run("bench", "train", "dcgan", "--batch", "2", "--device", "cpu", "--precision", "tf32", "--json");
        Assert.Equal(1, code);
        Assert.Contains("--precision tf32 needs the CUDA backend", error);
        Assert.Empty(output);
    }

    [Fact]
    public void Profile_OnTheCpu_FailsWithExitCodeOne()
    {
        var (code, output, error) = Run("bench", "train", "dcgan", "--batch", "2", "--device", "cpu", "--profile");
        Assert.Equal(1, code);
        Assert.Contains("--profile times GPU work with CUDA events: it needs --device cuda", error);
        Assert.Empty(output);
    }

    [Fact]
    public void SizeTheRecipeCannotMake_FailsWithExitCodeOne()
    {
        var (code, _, error) = Run("bench", "train", "tfdcgan", "--batch", "2", "--size", "64", "--device", "cpu");
        Assert.Equal(1, code);
        Assert.Contains("--size 64: the tfdcgan recipe makes 28x28 images", error);
    }

    [Theory]
    [InlineData("--device", "cpu")]
    [InlineData("--warmup", "1")]
    public void GraphOn_ExplainsWhatItNeeds(params string[] more)
    {
        var (code, _, error) = Run(["bench", "train", "dcgan", "--batch", "2", "--graph", "on", .. more]);
        Assert.Equal(1, code);
        Assert.Contains("--graph on", error);
    }

    [Theory]
    [InlineData("bench", "train", "nope", "--batch", "2")]
    [InlineData("bench", "train", "dcgan")]
    [InlineData("bench", "train", "dcgan", "--batch", "0")]
    [InlineData("bench", "train", "dcgan", "--batch", "2", "--precision", "fp16")]
    [InlineData("bench", "train", "dcgan", "--batch", "2", "--graph", "maybe")]
    public void BadCommandLine_IsAUsageError(params string[] args)
    {
        var (code, _, error) = Run(args);
        Assert.Equal(RawGanCli.UsageError, code);
        Assert.Contains("rawgan --help", error);
    }
}
