using RawGan.Backends.Cuda;
using RawGan.Bench;

namespace RawGan.Tests;

/// <summary>
/// The CUDA profiler (CudaProfiler.cs, `rawgan bench train --profile`): each unit of work queued
/// while a profile runs is timed under its name (kernel, cuDNN, cuBLAS or copy) and counted once;
/// nothing is timed outside a profile; a profile and a graph capture exclude each other. Skips
/// without a GPU.
/// </summary>
[Collection(nameof(CudaGpu))]
public class CudaProfilerTests
{
    [Fact]
    public void Profile_TimesEachKernelAndLibraryCall_UnderItsName_OncePerCall()
    {
        var cuda = CudaGpu.Require();
        using var scope = new TensorScope();
        var x = Tensor.Randn([2, 3, 8, 8], new Generator(1), device: Device.Cuda);
        var w = Tensor.Randn([4, 3, 3, 3], new Generator(2), device: Device.Cuda);
        var a = Tensor.Randn([16, 16], new Generator(3), device: Device.Cuda);
        F.Conv2d(x, w, padding: 1); // cuDNN's Find runs outside the profile
        cuda.Synchronize();

        cuda.Profiler.Start();
        F.Conv2d(x, w, padding: 1);
        F.Conv2d(x, w, padding: 1);
        a.Matmul(a);
        Tensor.FromArray(new float[100], [100], Device.Cuda).Fill(3);
        var rows = cuda.Profiler.Stop();

        Assert.Equal(2, Single(rows, "cudnn conv forward x 2x3x8x8, w 4x3x3x3").Calls);
        Assert.Equal(1, Single(rows, "cublas gemm 16x16x16").Calls);
        Assert.Equal(1, Single(rows, "copy host to device").Calls);
        Assert.Equal(1, Single(rows, "fill_f32").Calls);
        Assert.All(rows, r => Assert.True(r.Milliseconds >= 0 && double.IsFinite(r.Milliseconds), $"{r.Name}: {r.Milliseconds} ms"));
        Assert.Equal(rows.OrderByDescending(r => r.Milliseconds), rows);
    }

    [Fact]
    public void NoProfile_TimesNothing_AndMisuseIsRefused()
    {
        var cuda = CudaGpu.Require();
        using var scope = new TensorScope();
        Tensor.Ones([1000], device: Device.Cuda).Sum(); // work outside any profile
        cuda.Profiler.Start();
        Assert.Throws<InvalidOperationException>(cuda.Profiler.Start);
        Assert.Empty(cuda.Profiler.Stop());
        Assert.Throws<InvalidOperationException>(() => cuda.Profiler.Stop());
    }

    [Fact]
    public void GraphCapture_IsRefusedWhileAProfileRuns()
    {
        var cuda = CudaGpu.Require();
        cuda.Profiler.Start();
        try
        {
            var e = Assert.Throws<InvalidOperationException>(cuda.BeginCapture);
            Assert.Contains("profile", e.Message);
        }
        finally
        {
            cuda.Profiler.Stop();
        }
    }

    [Fact]
    public void BenchTrainProfile_ListsTheStepsWork_WithinItsWallTime()
    {
        CudaGpu.Require();
        var result = TrainBench.Run(new TrainBenchSettings("dcgan", Batch: 2, Size: 32, Precision: "auto", Warmup: 1, Iters: 2, Profile: true), Device.Cuda);
        var profile = Assert.IsAssignableFrom<IReadOnlyList<ProfileEntry>>(result.Profile);
        // cuDNN forward calls: D's 4 convolutions on reals, on fakes and in G's step, and the input gradient of
        // G's 3 transposed convolutions whose input needs one (not the first: z). Adam: one launch per network.
        Assert.Equal(3 * 4 + 3, profile.Where(p => p.Name.StartsWith("cudnn conv forward", StringComparison.Ordinal)).Sum(p => p.CallsPerIter));
        Assert.Contains(profile, p => p.Name == "adam_step_f32" && p.CallsPerIter == 2);
        double busy = profile.Sum(p => p.MsPerIter);
        Assert.True(busy > 0 && busy <= result.ProfiledMsPerIter, $"GPU time {busy} ms per iteration, wall {result.ProfiledMsPerIter} ms");
        Assert.Contains(result.Describe(), line => line.StartsWith("profile   2 eager iterations", StringComparison.Ordinal));
    }

    private static ProfileRow Single(IReadOnlyList<ProfileRow> rows, string prefix) =>
        Assert.Single(rows, r => r.Name.StartsWith(prefix, StringComparison.Ordinal));
}
