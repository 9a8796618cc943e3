using System.Diagnostics;
using System.Runtime.InteropServices;
using RawGan.Backends;
using RawGan.Backends.Cpu;
using RawGan.Backends.Cuda;
using RawGan.Recipes;
using RawGan.Training;

namespace RawGan.Bench;

/// <summary>What `rawgan bench train` was asked to time.</summary>
public sealed record TrainBenchSettings(string Recipe, int Batch, int? Size, string Precision, int Warmup, int Iters, ulong Seed = 0, bool Graph = false, bool Profile = false);

/// <summary>
/// Times training iterations of a recipe: the recipe is built as `rawgan train` builds it
/// (<see cref="Trainer.CreateRecipe"/>), the batch is random images in the recipe's data range,
/// already on the device (no loader, no host copies), and each iteration is the trainer's <see cref="IGanRecipe.Step"/> in its
/// own tensor scope, followed by <see cref="IBackend.Synchronize"/> so that the GPU's queued work is
/// inside the time. The metrics stay on the device (the trainer reads them; a benchmark need not).
/// With Graph, iterations are <see cref="GraphedSteps"/>: the first warm-up one eager, the second captured, the timed ones replays.
/// With Profile (CUDA), as many eager iterations again run under the <see cref="CudaProfiler"/> after the timed ones.
/// </summary>
public static class TrainBench
{
    /// <summary>Times the recipe; settings.Precision is auto, fp32, tf32 or bf16 (<see cref="Precision"/>).</summary>
    public static BenchResult Run(TrainBenchSettings settings, Device device)
    {
        string precision = Precision.Resolve(settings.Precision, device);
        return Precision.Run(precision, () => Measure(settings with { Precision = precision }, device));
    }

    private static BenchResult Measure(TrainBenchSettings settings, Device device)
    {
        if (settings.Profile && device != Device.Cuda)
            throw new ArgumentException("--profile times GPU work with CUDA events: it needs --device cuda");
        if (settings.Graph && settings.Warmup < 2)
            throw new ArgumentException("--graph on needs --warmup 2 or more: the first iteration runs eagerly and the second is captured, neither is a replay");
        var entry = BenchRecipes.Get(settings.Recipe);
        using var recipe = Trainer.CreateRecipe(settings.Recipe, entry.OptionsJson(settings.Size), device, settings.Seed);
        using var graphed = settings.Graph ? new GraphedSteps(recipe, device) : null;
        Func<Tensor, IReadOnlyList<Tensor>> step = graphed is null ? recipe.Step : graphed.Step;
        var backend = BackendRegistry.Get(device);
        var (channels, size) = ImageGeometry(recipe);
        if (settings.Size is { } asked && asked != size)
            throw new ArgumentException($"--size {asked}: the {settings.Recipe} recipe makes {size}x{size} images");
        long flopsPerImage = entry.FlopsPerImage(TraceNetworks(recipe, entry, channels, size, device));

        var range = recipe.DataRange;
        using var real = Tensor.Rand([settings.Batch, channels, size, size], new Generator(settings.Seed + 1), device: device, low: range.Low, high: range.High);
        for (int i = 0; i < settings.Warmup; i++) Iterate(step, real, backend);

        var times = new double[settings.Iters];
        long allocated = GC.GetTotalAllocatedBytes(precise: true);
        var pause = GC.GetTotalPauseDuration();
        int gen2 = GC.CollectionCount(2);
        var cpu = ProcessorTime();
        for (int i = 0; i < times.Length; i++) times[i] = Iterate(step, real, backend);
        cpu = ProcessorTime() - cpu;
        allocated = GC.GetTotalAllocatedBytes(precise: true) - allocated;
        double pauseMs = (GC.GetTotalPauseDuration() - pause).TotalMilliseconds;
        gen2 = GC.CollectionCount(2) - gen2;
        var (profile, profiledMs) = settings.Profile ? RunProfile(recipe, real, settings.Iters) : (null, (double?)null);

        bool cuda = device == Device.Cuda;
        var memory = cuda ? CudaBackend.Instance.Allocator.Stats : default;
        return new BenchResult
        {
            Recipe = settings.Recipe,
            Batch = settings.Batch,
            Size = size,
            Precision = settings.Precision,
            Graph = settings.Graph,
            Device = cuda ? "cuda" : "cpu",
            DeviceName = DeviceName(device),
            Warmup = settings.Warmup,
            Iters = settings.Iters,
            MsPerIter = Median(times),
            MsMin = times.Min(),
            MsMax = times.Max(),
            GflopPerImage = flopsPerImage / 1e9,
            PeakMemMb = cuda ? Mb(memory.PeakInUse) : Mb(PeakWorkingSet()),
            TensorPeakMb = cuda ? null : Mb(CpuBackend.Instance.Allocator.Stats.PeakInUse),
            ReservedMb = cuda ? Mb(memory.PeakReserved) : null,
            AllocMbPerIter = cuda ? null : Mb(allocated) / times.Length,
            CpuMsPerIter = cuda ? null : cpu.TotalMilliseconds / times.Length,
            GcPauseMsPerIter = cuda ? null : pauseMs / times.Length,
            Gen2Collections = cuda ? null : gen2,
            Versions = Versions(device),
            Profile = profile,
            ProfiledMsPerIter = profiledMs,
        };
    }

    /// <summary>GPU time per kernel and library call over <paramref name="iters"/> eager steps (a graph's
    /// replay cannot be split into its kernels), and their wall time per iteration.</summary>
    private static (IReadOnlyList<ProfileEntry>, double?) RunProfile(IGanRecipe recipe, Tensor real, int iters)
    {
        var cuda = CudaBackend.Instance;
        double wall = 0;
        cuda.Profiler.Start();
        IReadOnlyList<ProfileRow> rows;
        try
        {
            for (int i = 0; i < iters; i++) wall += Iterate(recipe.Step, real, cuda);
        }
        finally
        {
            rows = cuda.Profiler.Stop();
        }
        return ([.. rows.Select(r => new ProfileEntry(r.Name, (double)r.Calls / iters, r.Milliseconds / iters))], wall / iters);
    }

    /// <summary>One timed training iteration, from the first op queued to the last one finished.</summary>
    private static double Iterate(Func<Tensor, IReadOnlyList<Tensor>> step, Tensor real, IBackend backend)
    {
        var clock = Stopwatch.StartNew();
        using (new TensorScope()) step(real);
        backend.Synchronize();
        return clock.Elapsed.TotalMilliseconds;
    }

    /// <summary>Channels and size of the recipe's images, read off one generated image.</summary>
    private static (int Channels, int Size) ImageGeometry(IGanRecipe recipe)
    {
        using var scope = new TensorScope();
        var image = recipe.Generate(recipe.SampleLatent(1, new Generator(0)));
        return (image.Shape[1], image.Shape[2]);
    }

    /// <summary>The FLOPs of each network the step uses, traced with one latent (G) or one image (the rest).</summary>
    internal static Dictionary<string, NetworkFlops> TraceNetworks(IGanRecipe recipe, BenchRecipe entry, int channels, int size, Device device)
    {
        var modules = recipe.Modules.ToDictionary(m => m.Name, m => m.Module);
        var networks = new Dictionary<string, NetworkFlops>();
        foreach (var name in entry.Step.Select(p => p.Network).Distinct())
        {
            using var scope = new TensorScope();
            var input = name == "G" ? recipe.SampleLatent(1, new Generator(0)) : Tensor.Zeros([1, channels, size, size], device: device);
            networks[name] = NetworkFlops.Trace(modules[name], input);
        }
        return networks;
    }

    private static double Median(double[] values)
    {
        var sorted = values.Order().ToArray();
        int mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    /// <summary>CPU time of every thread of the process so far (user and system).</summary>
    private static TimeSpan ProcessorTime()
    {
        using var process = Process.GetCurrentProcess();
        return process.TotalProcessorTime;
    }

    private static long PeakWorkingSet()
    {
        using var process = Process.GetCurrentProcess();
        return process.PeakWorkingSet64;
    }

    private static double Mb(long bytes) => bytes / (1024.0 * 1024.0);

    private static string DeviceName(Device device)
    {
        if (device == Device.Cuda)
        {
            var info = CudaBackend.Instance.Info;
            return $"{info.Name}, {info.Architecture}";
        }
        return $"{Cli.DoctorCommand.CpuModel()}, {Environment.ProcessorCount} threads";
    }

    /// <summary>RawGan, .NET, OS, the CPU's SIMD width, and on CUDA the driver and libraries.</summary>
    private static Dictionary<string, string> Versions(Device device)
    {
        var versions = new Dictionary<string, string>
        {
            ["rawgan"] = typeof(TrainBench).Assembly.GetName().Version?.ToString(3) ?? "unknown",
            ["dotnet"] = RuntimeInformation.FrameworkDescription,
            ["os"] = RuntimeInformation.OSDescription,
            ["cpu_gemm"] = Gemm.BestIsa.ToString(),
        };
        if (device == Device.Cuda)
        {
            var probe = CudaProbe.Run();
            versions["cuda_driver"] = probe.DriverVersion ?? "unknown";
            foreach (var library in new[] { probe.Nvrtc, probe.Cublas, probe.Cudnn })
                versions[library.Name.ToLowerInvariant()] = library.Version ?? "unknown";
        }
        return versions;
    }
}
