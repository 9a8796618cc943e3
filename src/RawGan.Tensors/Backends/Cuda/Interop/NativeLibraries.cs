using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace RawGan.Backends.Cuda.Interop;

/// <summary>
/// The one resolver that maps the bindings' logical library names ("cuda", "nvrtc", "cublas",
/// "cudnn") to versioned files. Search order for each library:
/// 1. its override variable (RAWGAN_LIBCUDA, RAWGAN_LIBNVRTC, RAWGAN_LIBCUBLAS, RAWGAN_LIBCUDNN),
///    a full path; when set it is the only candidate, so a wrong override is reported, not hidden;
/// 2. the default loader (system paths, ldconfig cache, LD_LIBRARY_PATH) by versioned name;
/// 3. $CUDA_HOME/lib64, $CUDA_PATH/lib64, /usr/local/cuda/lib64 (driver: /usr/local/nvidia/lib64, /usr/lib/wsl/lib);
/// 4. pip wheels (site-packages/nvidia/*/lib), where PyTorch machines often keep cuDNN, cuBLAS and NVRTC.
/// Newer major versions are tried first (libcublas.so.13 before .12). A file that loads but lacks
/// an entry point the bindings declare is rejected, naming the missing symbol.
/// </summary>
public static partial class NativeLibraries
{
    public const string Cuda = "cuda";
    public const string Nvrtc = "nvrtc";
    public const string Cublas = "cublas";
    public const string Cudnn = "cudnn";

    private sealed record Library(string OverrideVariable, string[] LinuxFiles, string[] WindowsFiles, Type Bindings);

    private static readonly Dictionary<string, Library> Libraries = new()
    {
        [Cuda] = new("RAWGAN_LIBCUDA", ["libcuda.so.1"], ["nvcuda.dll"], typeof(Interop.Cuda)),
        [Nvrtc] = new("RAWGAN_LIBNVRTC", ["libnvrtc.so.13", "libnvrtc.so.12"], ["nvrtc64_130_0.dll", "nvrtc64_120_0.dll"], typeof(Interop.Nvrtc)),
        [Cublas] = new("RAWGAN_LIBCUBLAS", ["libcublas.so.13", "libcublas.so.12"], ["cublas64_13.dll", "cublas64_12.dll"], typeof(Interop.Cublas)),
        [Cudnn] = new("RAWGAN_LIBCUDNN", ["libcudnn.so.9"], ["cudnn64_9.dll"], typeof(Interop.Cudnn)),
    };

    private sealed record Outcome(nint Handle, string? Path, string Error);

    private static readonly Lock Gate = new();
    // Keyed by logical name and override value: a test (or a user) that changes the override
    // gets a fresh search, while repeated probes of the same configuration stay instant.
    private static readonly Dictionary<(string, string?), Outcome> Outcomes = [];
    private static bool registered;

    /// <summary>
    /// Installs the resolver before any code of this assembly runs, so the first call into a
    /// binding already goes through it (a static constructor is not guaranteed to run before a
    /// class's extern P/Invoke methods).
    /// </summary>
#pragma warning disable CA2255 // the rule warns libraries off module initializers; a DllImport resolver must be in place before any binding runs
    [ModuleInitializer]
    internal static void RegisterAtLoad() => EnsureRegistered();
#pragma warning restore CA2255

    /// <summary>Installs the resolver on this assembly once; later calls do nothing.</summary>
    public static void EnsureRegistered()
    {
        lock (Gate)
        {
            if (registered) return;
            NativeLibrary.SetDllImportResolver(typeof(NativeLibraries).Assembly, Resolve);
            registered = true;
        }
    }

    /// <summary>
    /// Finds and loads a library by logical name. On failure <paramref name="error"/> says what
    /// was tried and why each candidate was refused.
    /// </summary>
    public static bool TryLoad(string logical, out string? path, out string error)
    {
        var outcome = Load(logical);
        path = outcome.Path;
        error = outcome.Error;
        return outcome.Handle != 0;
    }

    /// <summary>True when this library has already been loaded (so its own error strings can be used).</summary>
    public static bool IsLoaded(string logical)
    {
        lock (Gate) return Outcomes.Any(o => o.Key.Item1 == logical && o.Value.Handle != 0);
    }

    /// <summary>The versioned file names tried for a logical library on this OS, newest first.</summary>
    public static IReadOnlyList<string> FileNames(string logical) => Files(Find(logical));

    /// <summary>The native entry points the bindings declare for a library (checked at load time).</summary>
    public static IReadOnlyList<string> EntryPoints(string logical) =>
        Find(logical).Bindings
            .GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.DeclaredOnly)
            .Select(m => (Method: m, Import: m.GetCustomAttribute<LibraryImportAttribute>()))
            .Where(x => x.Import is not null)
            .Select(x => x.Import!.EntryPoint ?? x.Method.Name)
            .Distinct()
            .Order(StringComparer.Ordinal)
            .ToArray();

    private static nint Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (!Libraries.ContainsKey(name)) return 0;
        var outcome = Load(name);
        // Throwing here (rather than returning 0) keeps the runtime from falling back to its own
        // probing, which could pick an unversioned or stub library that failed our checks.
        if (outcome.Handle == 0) throw new DllNotFoundException(outcome.Error);
        return outcome.Handle;
    }

    private static Library Find(string logical) =>
        Libraries.TryGetValue(logical, out var library)
            ? library
            : throw new ArgumentException($"unknown CUDA library '{logical}': expected {string.Join(", ", Libraries.Keys)}", nameof(logical));

    private static string[] Files(Library library) => OperatingSystem.IsWindows() ? library.WindowsFiles : library.LinuxFiles;

    private static Outcome Load(string logical)
    {
        var library = Find(logical);
        var overridePath = Environment.GetEnvironmentVariable(library.OverrideVariable);
        if (string.IsNullOrWhiteSpace(overridePath)) overridePath = null;
        lock (Gate)
        {
            if (Outcomes.TryGetValue((logical, overridePath), out var known)) return known;
            var outcome = overridePath is null ? Search(logical, library) : LoadOverride(logical, library, overridePath);
            Outcomes[(logical, overridePath)] = outcome;
            return outcome;
        }
    }

    private static Outcome LoadOverride(string logical, Library library, string path)
    {
        if (!File.Exists(path))
            return new(0, null, $"{library.OverrideVariable}={path}: no such file");
        var (handle, failure) = Open(logical, path);
        return handle != 0
            ? new(handle, path, "")
            : new(0, null, $"{library.OverrideVariable}={path}: {failure}");
    }

    private static Outcome Search(string logical, Library library)
    {
        var problems = new List<string>();
        var directories = SearchDirectories(logical).ToArray();
        foreach (var file in Files(library))
        {
            // The default loader first: it honours LD_LIBRARY_PATH and the system's own layout.
            var (handle, failure) = Open(logical, file);
            if (handle != 0) return new(handle, DescribeLoaded(logical, handle, file), "");
            // "No such file" for the name itself only means it is not on the loader's path; any
            // other failure (a missing dependency, a missing entry point) is worth reporting.
            if (!failure.StartsWith($"{file}: cannot open shared object file", StringComparison.Ordinal))
                problems.Add($"{file}: {failure}");
            foreach (var directory in directories)
            {
                var path = Path.Combine(directory, file);
                if (!File.Exists(path)) continue;
                (handle, failure) = Open(logical, path);
                if (handle != 0) return new(handle, path, "");
                problems.Add($"{path}: {failure}");
            }
        }
        var names = string.Join(" or ", Files(library));
        var where = directories.Length == 0 ? "the default loader's path" : $"the default loader's path, {string.Join(", ", directories)}";
        var found = problems.Count == 0 ? $"{names} not found in {where}" : $"{names} unusable: {string.Join("; ", problems)} (searched {where})";
        return new(0, null, $"{found}; set {library.OverrideVariable} to its full path to choose one");
    }

    /// <summary>Loads one candidate and checks that it exports every entry point we bind.</summary>
    private static (nint Handle, string Failure) Open(string logical, string nameOrPath)
    {
        nint handle;
        try
        {
            handle = NativeLibrary.Load(nameOrPath);
        }
        catch (DllNotFoundException e)
        {
            return (0, LoaderMessage(e.Message));
        }
        catch (BadImageFormatException e)
        {
            return (0, LoaderMessage(e.Message));
        }
        var missing = EntryPoints(logical).Where(name => !NativeLibrary.TryGetExport(handle, name, out _)).ToArray();
        if (missing.Length == 0)
        {
            if (logical == Nvrtc && Path.IsPathRooted(nameOrPath)) LoadNvrtcBuiltins(nameOrPath);
            return (handle, "");
        }
        NativeLibrary.Free(handle);
        return (0, $"loaded but lacks {string.Join(", ", missing)} (older than the CUDA 12 / cuDNN 9 API these bindings need)");
    }

    /// <summary>
    /// NVRTC opens libnvrtc-builtins.so.MAJOR.MINOR by bare name when it compiles, and the pip
    /// wheels' copy has no RUNPATH to find it beside itself; once loaded from libnvrtc's own folder
    /// that dlopen finds it by soname. Failure is left to the compile, whose log names the file.
    /// </summary>
    private static void LoadNvrtcBuiltins(string nvrtcPath)
    {
        if (!OperatingSystem.IsLinux() || Path.GetDirectoryName(nvrtcPath) is not { } directory) return;
        var name = Path.GetFileName(nvrtcPath);
        if (!name.StartsWith("libnvrtc.so.", StringComparison.Ordinal)) return;
        var major = name["libnvrtc.so.".Length..].Split('.')[0];
        foreach (var builtins in SafeFiles(directory, $"libnvrtc-builtins.so.{major}.*"))
            if (Path.GetFileName(builtins).Count(c => c == '.') == 3) // libnvrtc-builtins.so.13.0, not .13.0.88
                NativeLibrary.TryLoad(builtins, out _);
    }

    /// <summary>The loader's own words (dlerror), which .NET puts on the last line of its message.</summary>
    private static string LoaderMessage(string message) =>
        message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? message;

    /// <summary>Where the default loader found a library, for reports; the bare name when it cannot tell.</summary>
    private static string DescribeLoaded(string logical, nint handle, string file)
    {
        if (!OperatingSystem.IsLinux()) return file;
        // The mapping of /proc/self/maps that holds one of the library's exports names the file
        // dlopen chose (the real file behind the soname link).
        var symbol = EntryPoints(logical).FirstOrDefault();
        if (symbol is null || !NativeLibrary.TryGetExport(handle, symbol, out var address)) return file;
        try
        {
            foreach (var line in File.ReadLines("/proc/self/maps"))
            {
                var dash = line.IndexOf('-');
                var space = line.IndexOf(' ');
                var slash = line.IndexOf('/');
                if (dash < 0 || space < dash || slash < 0) continue;
                var start = ulong.Parse(line.AsSpan(0, dash), System.Globalization.NumberStyles.HexNumber);
                var end = ulong.Parse(line.AsSpan(dash + 1, space - dash - 1), System.Globalization.NumberStyles.HexNumber);
                if ((ulong)address >= start && (ulong)address < end) return line[slash..];
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
        return file;
    }
}
