using System.Text.Json;
using RawGan.Cli;

namespace RawGan.Tests;

/// <summary>ProductPrecision on the CPU: bf16 products round as the CUDA backend's tensor cores do
/// (the reference its CUDA-vs-CPU tests compare with), nothing else changes, and the scope is per
/// flow of work.</summary>
public class PrecisionTests
{
    // 1 + 2^-9 lies between the bfloat16 neighbours 1 and 1 + 2^-7, nearer 1.
    private const float JustAboveOne = 1.001953125f;

    [Fact]
    public void Bf16Matmul_RoundsItsInputs_NotItsOutput()
    {
        var a = Tensor.FromArray([JustAboveOne, 0.00390625f], [1, 2]); // 2^-8 is exact in bfloat16
        var b = Tensor.FromArray([1f, 1f], [2, 1]);
        Assert.Equal(JustAboveOne + 0.00390625f, F.Matmul(a, b).ToFloatArray()[0]);
        using (Products.Use(ProductPrecision.Bf16))
            // 1 + 2^-8: exact in float32, a tie in bfloat16; cuBLAS writes the float32 sum.
            Assert.Equal(1.00390625f, F.Matmul(a, b).ToFloatArray()[0]);
    }

    [Fact]
    public void Bf16Conv2d_RoundsItsInputs_AndItsOutput()
    {
        // A 1x1 convolution over 2 channels adds x[0] * 1 + x[1] * 1 at each pixel.
        var x = Tensor.FromArray([JustAboveOne, 0.00390625f], [1, 2, 1, 1]);
        var w = Tensor.FromArray([1f, 1f], [1, 2, 1, 1]);
        Assert.Equal(JustAboveOne + 0.00390625f, F.Conv2d(x, w).ToFloatArray()[0]);
        using (Products.Use(ProductPrecision.Bf16))
            // The sum 1 + 2^-8 is a tie between 1 and 1 + 2^-7: cuDNN's bfloat16 output rounds it to even, 1.
            Assert.Equal(1f, F.Conv2d(x, w).ToFloatArray()[0]);
    }

    [Fact]
    public void Bf16Conv_EveryDirection_GivesBf16Values_WithinBf16ErrorOfFp32()
    {
        var rng = new Random(5);
        float[] Values(int n) => [.. Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1))];
        var x = Tensor.FromArray(Values(2 * 8 * 9 * 9), [2, 8, 9, 9]);
        var w = Tensor.FromArray(Values(16 * 8 * 3 * 3), [16, 8, 3, 3]);
        x.RequiresGrad = w.RequiresGrad = true;
        var upstream = Values(2 * 16 * 5 * 5);

        (float[] Y, float[] Dx, float[] Dw) Run(ProductPrecision precision)
        {
            using var scope = Products.Use(precision);
            x.Grad = null;
            w.Grad = null;
            var y = F.Conv2d(x, w, null, stride: 2, padding: 1);
            F.Sum(F.Mul(y, Tensor.FromArray(upstream, y.Shape))).Backward();
            return (y.ToFloatArray(), x.Grad!.ToFloatArray(), w.Grad!.ToFloatArray());
        }

        var exact = Run(ProductPrecision.Fp32);
        var bf16 = Run(ProductPrecision.Bf16);
        foreach (var (name, e, b) in new[] { ("y", exact.Y, bf16.Y), ("dx", exact.Dx, bf16.Dx), ("dw", exact.Dw, bf16.Dw) })
        {
            Assert.All(b, v => Assert.Equal(v, BFloat16.Round(v)));
            // Each input carries a relative error up to 2^-9 and the output one more; the sums here have
            // at most 72 terms of magnitude below 1, so the difference stays far under 72 * 3 * 2^-9.
            double scale = e.Max(Math.Abs), worst = e.Zip(b, (p, q) => Math.Abs(p - q)).Max();
            Assert.True(worst <= scale * 0.02, $"{name}: worst difference {worst} against magnitude {scale}");
            Assert.True(worst > 0, $"{name}: bf16 changed nothing, so it was not applied");
        }
    }

    [Fact]
    public void Bf16_LeavesFloat64Alone_SoGradientChecksStayExact()
    {
        var a = Tensor.FromArray([1.0 + Math.Pow(2, -30)], [1, 1]);
        var b = Tensor.FromArray([1.0], [1, 1]);
        using var scope = Products.Use(ProductPrecision.Bf16);
        Assert.Equal(1.0 + Math.Pow(2, -30), F.Matmul(a, b).ToDoubleArray()[0]);
    }

    [Fact]
    public async Task Products_IsScopedToItsFlowOfWork()
    {
        Assert.Equal(ProductPrecision.Fp32, Products.Precision);
        using (Products.Use(ProductPrecision.Bf16))
        {
            Assert.Equal(ProductPrecision.Bf16, Products.Precision);
            // Work started inside the scope inherits it...
            Assert.Equal(ProductPrecision.Bf16, await Task.Run(() => Products.Precision, TestContext.Current.CancellationToken));
            using (Products.Use(ProductPrecision.Tf32)) Assert.Equal(ProductPrecision.Tf32, Products.Precision);
            Assert.Equal(ProductPrecision.Bf16, Products.Precision);
        }
        Assert.Equal(ProductPrecision.Fp32, Products.Precision);
        // ...and work elsewhere never sees another's scope.
        var inner = new TaskCompletionSource();
        var other = Task.Run(async () => { using var s = Products.Use(ProductPrecision.Bf16); await inner.Task; }, TestContext.Current.CancellationToken);
        Assert.Equal(ProductPrecision.Fp32, Products.Precision);
        inner.SetResult();
        await other;
    }

    [Fact]
    public void BenchTrain_Bf16OnTheCpu_RunsAndSaysSo()
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = RawGanCli.Run(["bench", "train", "dcgan", "--batch", "2", "--size", "32", "--device", "cpu", "--precision", "bf16", "--warmup", "0", "--iters", "1", "--json"], output, error);
        Assert.True(code == 0, error.ToString());
        using var json = JsonDocument.Parse(output.ToString());
        Assert.Equal("bf16", json.RootElement.GetProperty("precision").GetString());
        Assert.True(double.IsFinite(json.RootElement.GetProperty("ms_per_iter").GetDouble()));
    }
}
