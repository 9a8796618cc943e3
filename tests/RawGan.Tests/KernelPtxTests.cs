using System.Diagnostics;
using System.Reflection;
using System.Text.RegularExpressions;
using RawGan.Backends.Cuda;

namespace RawGan.Tests;

/// <summary>
/// CI without a GPU: every kernels/*.cu compiles to PTX with Debian's clang-14 (NVPTX backend,
/// kernels/clang_prelude.h standing in for the CUDA headers), and every extern "C" kernel the
/// source declares, and every kernel a launcher names, is an .entry of the PTX. NVRTC builds the
/// same sources at run time on a GPU; this catches syntax and type errors before that.
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

    private static HashSet<string> Entries(string ptx) => [.. PtxEntry().Matches(ptx).Select(m => m.Groups[1].Value)];

    [GeneratedRegex(@"\.entry\s+([A-Za-z_][A-Za-z0-9_]*)\s*\(")]
    private static partial Regex PtxEntry();

    [GeneratedRegex(@"extern\s+""C""\s+__global__\s+void\s+([A-Za-z_][A-Za-z0-9_]*)\s*\(")]
    private static partial Regex DeclaredKernels();
}
