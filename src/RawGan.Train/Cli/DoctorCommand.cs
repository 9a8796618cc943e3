using System.CommandLine;
using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace RawGan.Cli;

/// <summary>`rawgan doctor`: what this machine offers RawGan. No GPU is a normal answer.</summary>
public static class DoctorCommand
{
    public static Command Create(TextWriter output)
    {
        var command = new Command("doctor", "Print the OS, .NET, CPU and SIMD width, and which GPU and CUDA libraries were found.");
        command.SetAction(_ =>
        {
            foreach (var line in Describe()) output.WriteLine(line);
            return 0;
        });
        return command;
    }

    public static IEnumerable<string> Describe()
    {
        yield return $"rawgan   {typeof(DoctorCommand).Assembly.GetName().Version?.ToString(3)}";
        yield return $"os       {RuntimeInformation.OSDescription} ({RuntimeInformation.OSArchitecture})";
        yield return $".net     {RuntimeInformation.FrameworkDescription}";
        yield return $"cpu      {CpuModel()} ({Environment.ProcessorCount} logical cores)";
        yield return $"simd     {Vector<float>.Count * 32}-bit vectors ({string.Join(", ", SimdFeatures())})";
        var cuda = Backends.Cuda.CudaProbe.Run();
        foreach (var line in cuda.Describe().Split(Environment.NewLine)) yield return line;
        yield return cuda.GpuAvailable
            ? "device   cuda is available: `--device auto` trains on the GPU"
            : "device   cpu only (no usable GPU; see above): training runs on the CPU";
        yield return $"cache    {ImageCache(Data.FolderDataset.DefaultCacheDirectory())}";
    }

    /// <summary>Where decoded image packs go and how much disk they take: one pack per folder, size and
    /// crop, a few GB for all of CelebA at 128 px. Deleting any of them is safe (rebuilt when needed).</summary>
    internal static string ImageCache(string directory)
    {
        var packs = Directory.Exists(directory) ? new DirectoryInfo(directory).GetFiles("*.pack") : [];
        long bytes = packs.Sum(f => f.Length);
        return $"{directory}: {packs.Length} image pack{(packs.Length == 1 ? "" : "s")}, {bytes / 1e6:N0} MB " +
               "(decoded --data folders; safe to delete, rebuilt when needed; RAWGAN_CACHE moves it)";
    }

    /// <summary>The CPU's model name from /proc/cpuinfo, else its architecture (also named by bench train's JSON).</summary>
    internal static string CpuModel()
    {
        try
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            if (line is not null) return line[(line.IndexOf(':') + 1)..].Trim();
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return RuntimeInformation.ProcessArchitecture.ToString();
    }

    private static IEnumerable<string> SimdFeatures()
    {
        if (Avx512F.IsSupported) yield return "AVX-512";
        if (Avx2.IsSupported) yield return "AVX2";
        if (Fma.IsSupported) yield return "FMA";
        if (System.Runtime.Intrinsics.Arm.AdvSimd.IsSupported) yield return "NEON";
        if (!Avx2.IsSupported && !System.Runtime.Intrinsics.Arm.AdvSimd.IsSupported) yield return "no wide SIMD";
    }
}
