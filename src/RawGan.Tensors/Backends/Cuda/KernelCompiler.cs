using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using RawGan.Backends.Cuda.Interop;

namespace RawGan.Backends.Cuda;

/// <summary>
/// Builds kernels/*.cu (embedded in this assembly) with NVRTC for the device's own architecture,
/// and keeps each image on disk so a second start compiles nothing.
///
/// - Target: a CUBIN for sm_XY when this NVRTC knows the device; otherwise PTX for the newest
///   compute_XY it knows below the device, which the driver JIT-compiles at load.
/// - Options: C++17 and <c>--fmad=false</c>: no multiply-add contraction, so each kernel rounds
///   exactly as the CPU reference's formula is written (Adam, Philox's uniform(low, high), ...).
///   No fast math anywhere.
/// - Headers: every kernels/*.cuh, handed to NVRTC by name, so #include "common.cuh" works.
/// - Cache: $RAWGAN_CACHE/kernels or ~/.cache/rawgan/kernels, one file per kernel file, named by
///   a hash of the source, the headers, the options, the target and the NVRTC version.
/// </summary>
internal sealed class KernelCompiler
{
    private const string ResourcePrefix = "kernels/";
    private static readonly string[] BaseOptions = ["-std=c++17", "--fmad=false"];

    private readonly string _target;
    private readonly bool _cubin;
    private readonly string _nvrtcVersion;
    private readonly string? _cacheDirectory;

    public KernelCompiler(int computeMajor, int computeMinor)
    {
        Nvrtc.Check(Nvrtc.nvrtcVersion(out var major, out var minor));
        _nvrtcVersion = $"{major}.{minor}";
        int device = computeMajor * 10 + computeMinor;
        var known = SupportedArchitectures();
        if (known.Contains(device))
        {
            _target = $"sm_{device}";
            _cubin = true;
        }
        else
        {
            var older = known.Where(a => a < device).ToArray();
            if (older.Length == 0)
                throw new CudaUnavailableException(
                    $"NVRTC {_nvrtcVersion} cannot compile for this GPU (compute capability {computeMajor}.{computeMinor}); it knows sm_{string.Join(", sm_", known)}");
            _target = $"compute_{older.Max()}";
            _cubin = false;
        }
        _cacheDirectory = DefaultCacheDirectory();
    }

    /// <summary>Where compiled images are kept; null when there is no home folder to put them in.</summary>
    public string? CacheDirectory => _cacheDirectory;

    /// <summary>"sm_90 CUBIN" or "compute_90 PTX", and the NVRTC version: for reports.</summary>
    public string Describe() => $"{_target} {(_cubin ? "CUBIN" : "PTX")} via NVRTC {_nvrtcVersion}";

    /// <summary>The options every kernel file is compiled with.</summary>
    public IReadOnlyList<string> Options => [$"--gpu-architecture={_target}", .. BaseOptions];

    /// <summary>The loadable image (CUBIN, or NUL-terminated PTX) of kernels/<paramref name="file"/>.</summary>
    public byte[] Image(string file)
    {
        var source = Resource(file);
        var headers = HeaderNames().Select(name => (Name: name, Text: Resource(name))).ToArray();
        var key = CacheKey(file, source, headers);
        var path = _cacheDirectory is null ? null : Path.Combine(_cacheDirectory, $"{Path.GetFileNameWithoutExtension(file)}-{_target}-{key}.{(_cubin ? "cubin" : "ptx")}");
        if (path is not null && TryRead(path) is { } cached) return cached;
        var image = Compile(file, source, headers);
        if (path is not null) TryWrite(path, image);
        return image;
    }

    /// <summary>The kernel files shipped in this assembly (for tools and tests).</summary>
    public static IReadOnlyList<string> KernelFiles() => ResourceNames(".cu");

    internal static string Resource(string name)
    {
        using var stream = typeof(KernelCompiler).Assembly.GetManifestResourceStream(ResourcePrefix + name)
            ?? throw new FileNotFoundException($"kernels/{name} is not embedded in {typeof(KernelCompiler).Assembly.GetName().Name}");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    private static IReadOnlyList<string> HeaderNames() => ResourceNames(".cuh");

    private static string[] ResourceNames(string extension) =>
        typeof(KernelCompiler).Assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal) && n.EndsWith(extension, StringComparison.Ordinal))
            .Select(n => n[ResourcePrefix.Length..])
            .Order(StringComparer.Ordinal)
            .ToArray();

    private static unsafe int[] SupportedArchitectures()
    {
        Nvrtc.Check(Nvrtc.nvrtcGetNumSupportedArchs(out var count));
        var archs = new int[count];
        fixed (int* p = archs) Nvrtc.Check(Nvrtc.nvrtcGetSupportedArchs(p));
        return archs;
    }

    private string CacheKey(string file, string source, (string Name, string Text)[] headers)
    {
        var text = new StringBuilder();
        text.Append(file).Append('\0').Append(source).Append('\0');
        foreach (var (name, content) in headers) text.Append(name).Append('\0').Append(content).Append('\0');
        text.Append(string.Join(' ', Options)).Append('\0').Append(_nvrtcVersion);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())))[..16];
    }

    private unsafe byte[] Compile(string file, string source, (string Name, string Text)[] headers)
    {
        var contents = headers.Select(h => Marshal.StringToCoTaskMemUTF8(h.Text)).ToArray();
        var names = headers.Select(h => Marshal.StringToCoTaskMemUTF8(h.Name)).ToArray();
        try
        {
            nvrtcProgram program;
            fixed (nint* c = contents)
            fixed (nint* n = names)
                Nvrtc.Check(Nvrtc.nvrtcCreateProgram(out program, source, file, headers.Length, (byte**)c, (byte**)n));
            try
            {
                var options = Options.ToArray();
                var status = Nvrtc.nvrtcCompileProgram(program, options.Length, options);
                if (status != nvrtcResult.NVRTC_SUCCESS)
                    throw new KernelCompilationException(file, _target, string.Join(' ', options), Nvrtc.ProgramLog(program));
                return _cubin ? Cubin(program) : Ptx(program);
            }
            finally
            {
                Nvrtc.nvrtcDestroyProgram(ref program);
            }
        }
        finally
        {
            foreach (var p in contents) Marshal.FreeCoTaskMem(p);
            foreach (var p in names) Marshal.FreeCoTaskMem(p);
        }
    }

    private static unsafe byte[] Cubin(nvrtcProgram program)
    {
        Nvrtc.Check(Nvrtc.nvrtcGetCUBINSize(program, out var size));
        var image = new byte[size];
        fixed (byte* p = image) Nvrtc.Check(Nvrtc.nvrtcGetCUBIN(program, p));
        return image;
    }

    /// <summary>PTX with its terminating NUL (cuModuleLoadData reads a C string).</summary>
    private static unsafe byte[] Ptx(nvrtcProgram program)
    {
        Nvrtc.Check(Nvrtc.nvrtcGetPTXSize(program, out var size));
        var image = new byte[size];
        fixed (byte* p = image) Nvrtc.Check(Nvrtc.nvrtcGetPTX(program, p));
        return image;
    }

    private static string? DefaultCacheDirectory()
    {
        var root = Environment.GetEnvironmentVariable("RAWGAN_CACHE");
        if (string.IsNullOrWhiteSpace(root))
        {
            var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            if (string.IsNullOrEmpty(home)) return null;
            root = Path.Combine(home, ".cache", "rawgan");
        }
        return Path.Combine(root, "kernels");
    }

    // The disk cache only saves time: a read-only or full disk must not stop training, so its
    // I/O errors are swallowed and the kernel is compiled (or kept in memory only).
    private static byte[]? TryRead(string path)
    {
        try
        {
            return File.Exists(path) ? File.ReadAllBytes(path) : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static void TryWrite(string path, byte[] image)
    {
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            // Write then rename, so a concurrent reader never sees half a file.
            var temporary = $"{path}.{Environment.ProcessId}.tmp";
            File.WriteAllBytes(temporary, image);
            File.Move(temporary, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }
}

/// <summary>NVRTC rejected a kernel file; the message carries the compiler's log.</summary>
public sealed class KernelCompilationException(string file, string target, string options, string log)
    : Exception($"NVRTC failed to compile kernels/{file} for {target} ({options}):\n{log}")
{
    public string File { get; } = file;
    public string Log { get; } = log;
}
