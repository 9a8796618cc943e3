using System.Diagnostics;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text.RegularExpressions;
using RawGan.Backends.Cuda;
using RawGan.Backends.Cuda.Kernels;

namespace RawGan.Tests;

/// <summary>
/// CI without a GPU: every kernels/*.cu compiles to PTX with Debian's clang-14 (NVPTX backend,
/// kernels/clang_prelude.h standing in for the CUDA headers), and every extern "C" kernel the
/// source declares, and every kernel a launcher names, is an .entry of the PTX. NVRTC builds the
/// same sources at run time on a GPU; this catches syntax and type errors before that. The PTX also
/// gives each kernel's parameter sizes: within CUDA's 4 KB, and by-value structs of the C# twins' size.
/// </summary>
public partial class KernelPtxTests
{
    private const string Clang = "/usr/bin/clang-14";

    // Each file is compiled once per test run, whichever test asks first.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, Lazy<string>> Ptx = new();

    public static TheoryData<string> KernelFiles() => [.. KernelCompiler.KernelFiles()];

    [Theory]
    [MemberData(nameof(KernelFiles))]
    public void KernelFile_CompilesToPtx_WithEveryDeclaredEntry(string file)
    {
        var kernels = KernelsDirectory();
        var ptx = CompileToPtx(kernels, file);
        var entries = Entries(ptx);
        var declared = DeclaredKernels().Matches(File.ReadAllText(Path.Combine(kernels, file))).Select(m => m.Groups[1].Value).ToArray();
        Assert.NotEmpty(declared);
        foreach (var name in declared)
            Assert.True(entries.Contains(name), $"kernels/{file}: {name} is declared but not an .entry of the PTX (entries: {string.Join(", ", entries)})");
    }

    [Fact]
    public void EveryLauncherKernel_IsAnEntryOfItsFile()
    {
        var kernels = KernelsDirectory();
        var launchers = typeof(KernelRef).Assembly.GetTypes()
            .Where(t => t.Namespace == "RawGan.Backends.Cuda.Kernels")
            .SelectMany(t => t.GetFields(BindingFlags.Public | BindingFlags.Static))
            .Where(f => f.FieldType == typeof(KernelRef))
            .Select(f => (KernelRef)f.GetValue(null)!)
            .ToArray();
        Assert.NotEmpty(launchers);
        foreach (var group in launchers.GroupBy(k => k.File))
        {
            var entries = Entries(CompileToPtx(kernels, group.Key));
            foreach (var k in group)
                Assert.True(entries.Contains(k.Name), $"launcher names {k}, which kernels/{k.File} does not define (entries: {string.Join(", ", entries)})");
        }
    }

    [Theory]
    [MemberData(nameof(KernelFiles))]
    public void KernelParameters_FitInCudasFourKilobytes(string file)
    {
        foreach (var (name, sizes) in ParameterSizes(CompileToPtx(KernelsDirectory(), file)))
        {
            int bytes = sizes.Aggregate(0, (offset, p) => (offset + p.Align - 1) / p.Align * p.Align + p.Size);
            Assert.True(bytes <= 4096, $"kernels/{file}: {name} takes {bytes} bytes of parameters; cuLaunchKernel accepts 4096");
        }
    }

    [Fact]
    public void MultiTensorKernels_TakeTheStructsTheirLaunchersPass()
    {
        var kernels = KernelsDirectory();
        foreach (var k in new[] { OptimizerKernels.Adam, OptimizerKernels.Sgd, OptimizerKernels.RmsProp })
        {
            var sizes = ParameterSizes(CompileToPtx(kernels, k.File))[k.Name];
            Assert.True(Unsafe.SizeOf<TensorList>() == sizes[0].Size, $"{k}: TensorList is {sizes[0].Size} bytes in the kernel, {Unsafe.SizeOf<TensorList>()} in C#");
        }
        var adam = ParameterSizes(CompileToPtx(kernels, OptimizerKernels.Adam.File))[OptimizerKernels.Adam.Name];
        Assert.Equal(Unsafe.SizeOf<AdamParams>(), adam[2].Size);
    }

    [Fact]
    public void UInt8Kernel_TakesTheTableItsLauncherPasses()
    {
        var k = UInt8Kernels.ToFloat;
        var sizes = ParameterSizes(CompileToPtx(KernelsDirectory(), k.File))[k.Name];
        Assert.Equal(4, sizes.Length);
        Assert.Equal(Unsafe.SizeOf<ByteValues>(), sizes[3].Size);
    }

    [Fact]
    public void EmbeddedKernels_AreTheRepositoryFiles()
    {
        var kernels = KernelsDirectory();
        var onDisk = Directory.GetFiles(kernels, "*.cu").Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(onDisk, KernelCompiler.KernelFiles().ToArray());
        foreach (var file in onDisk)
            Assert.Equal(File.ReadAllText(Path.Combine(kernels, file)), KernelCompiler.Resource(file));
    }

    /// <summary>The repository's kernels/ folder (tests run from a build under it), or a skip.</summary>
    private static string KernelsDirectory()
    {
        if (!File.Exists(Clang)) Assert.Skip($"{Clang} is not installed (apt-get install clang-14): the PTX check needs it");
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "kernels");
            if (File.Exists(Path.Combine(candidate, "clang_prelude.h"))) return candidate;
        }
        Assert.Skip($"no kernels/ folder above {AppContext.BaseDirectory} (a published test executable carries no sources)");
        return "";
    }

    private static string CompileToPtx(string kernels, string file) =>
        Ptx.GetOrAdd(file, f => new Lazy<string>(() => Compile(kernels, f))).Value;

    private static string Compile(string kernels, string file)
    {
        var start = new ProcessStartInfo(Clang)
        {
            WorkingDirectory = kernels,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in new[]
        {
            "-x", "cuda", "--cuda-gpu-arch=sm_80", "--cuda-device-only", "-nocudainc", "-nocudalib",
            "-std=c++17", "-O2", "-ffp-contract=off", "-Wall", "-Wextra", "-Werror",
            "-include", Path.Combine(kernels, "clang_prelude.h"),
            "-Xclang", "-target-feature", "-Xclang", "+ptx70",
            "-S", "-o", "-", file,
        })
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var ptx = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2))) process.Kill();
        Assert.True(process.ExitCode == 0, $"clang-14 could not compile kernels/{file} to PTX:\n{stderr.Result}");
        return ptx;
    }

    /// <summary>Each entry's parameters in order: size and alignment in bytes.</summary>
    private static Dictionary<string, (int Size, int Align)[]> ParameterSizes(string ptx) =>
        PtxEntryParameters().Matches(ptx).ToDictionary(m => m.Groups[1].Value, m => PtxParameter().Matches(m.Groups[2].Value).Select(Parameter).ToArray());

    private static (int Size, int Align) Parameter(Match p)
    {
        static int Int(Group g) => int.Parse(g.Value, System.Globalization.CultureInfo.InvariantCulture);
        return p.Groups[1].Success ? (Int(p.Groups[2]), Int(p.Groups[1])) : (Int(p.Groups[3]) / 8, Int(p.Groups[3]) / 8);
    }

    private static HashSet<string> Entries(string ptx) => [.. PtxEntry().Matches(ptx).Select(m => m.Groups[1].Value)];

    [GeneratedRegex(@"\.entry\s+([A-Za-z_][A-Za-z0-9_]*)\s*\(")]
    private static partial Regex PtxEntry();

    [GeneratedRegex(@"\.entry\s+([A-Za-z_][A-Za-z0-9_]*)\s*\(([^)]*)\)")]
    private static partial Regex PtxEntryParameters();

    /// <summary>".param .align 8 .b8 name[4008]" (groups 1, 2) or ".param .u64 name" (group 3: the bits).</summary>
    [GeneratedRegex(@"\.param\s+(?:\.align\s+(\d+)\s+\.b8\s+\w+\[(\d+)\]|\.[a-z](\d+)\s+\w+)")]
    private static partial Regex PtxParameter();

    [GeneratedRegex(@"extern\s+""C""\s+__global__\s+void\s+([A-Za-z_][A-Za-z0-9_]*)\s*\(")]
    private static partial Regex DeclaredKernels();
}
