namespace RawGan.Backends.Cuda.Interop;

/// <summary>Where the resolver looks after the default loader: toolkit folders, then pip wheels.</summary>
public static partial class NativeLibraries
{
    private static IEnumerable<string> SearchDirectories(string logical)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var candidate in CandidateDirectories(logical))
            if (Directory.Exists(candidate) && seen.Add(Path.GetFullPath(candidate)))
                yield return candidate;
    }

    private static IEnumerable<string> CandidateDirectories(string logical)
    {
        if (logical == Cuda)
        {
            // The driver comes with the kernel module, never with the toolkit (whose lib64/stubs
            // holds a stub that cuInit rejects); containers mount it under /usr/local/nvidia.
            yield return "/usr/local/nvidia/lib64";
            yield return "/usr/lib/wsl/lib";
            yield break;
        }
        foreach (var variable in new[] { "CUDA_HOME", "CUDA_PATH" })
            if (Environment.GetEnvironmentVariable(variable) is { Length: > 0 } root)
            {
                yield return Path.Combine(root, "lib64");
                yield return Path.Combine(root, OperatingSystem.IsWindows() ? "bin" : "lib");
            }
        yield return "/usr/local/cuda/lib64";
        // pip wheels: nvidia/<lib>/lib for CUDA 12 wheels, nvidia/cu13/lib for CUDA 13 wheels.
        foreach (var sitePackages in SitePackages())
            foreach (var directory in Expand(Path.Combine(sitePackages, "nvidia", "*", "lib")))
                yield return directory;
        // conda keeps every library in $CONDA_PREFIX/lib.
        if (Environment.GetEnvironmentVariable("CONDA_PREFIX") is { Length: > 0 } conda)
            yield return Path.Combine(conda, "lib");
    }

    private static IEnumerable<string> SitePackages()
    {
        var prefixes = new List<string>();
        if (Environment.GetEnvironmentVariable("VIRTUAL_ENV") is { Length: > 0 } venv) prefixes.Add(venv);
        if (Environment.GetEnvironmentVariable("CONDA_PREFIX") is { Length: > 0 } conda) prefixes.Add(conda);
        prefixes.Add(Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local"));
        prefixes.Add("/usr/local");
        prefixes.Add("/usr");
        foreach (var prefix in prefixes)
            foreach (var packages in new[] { "site-packages", "dist-packages" })
                foreach (var directory in Expand(Path.Combine(prefix, "lib", "python3*", packages)))
                    yield return directory;
        foreach (var directory in Expand("/usr/lib/python3/dist-packages")) yield return directory;
        // Virtual environments that images keep under /opt (e.g. /opt/torch/.venv) or /opt/conda.
        foreach (var pattern in new[] { "/opt/*/.venv/lib/python3*/site-packages", "/opt/*/venv/lib/python3*/site-packages", "/opt/*/lib/python3*/site-packages" })
            foreach (var directory in Expand(pattern))
                yield return directory;
    }

    /// <summary>Expands '*' in any path segment to the matching directories.</summary>
    private static IEnumerable<string> Expand(string pattern)
    {
        var root = Path.GetPathRoot(pattern);
        if (string.IsNullOrEmpty(root)) yield break;
        IEnumerable<string> current = [root];
        foreach (var segment in pattern[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries))
        {
            var level = segment;
            current = current.SelectMany(dir => level.Contains('*') ? SafeDirectories(dir, level) : Directory.Exists(Path.Combine(dir, level)) ? [Path.Combine(dir, level)] : []).ToArray();
        }
        foreach (var directory in current.Order(StringComparer.Ordinal)) yield return directory;
    }

    private static IEnumerable<string> SafeDirectories(string directory, string pattern) =>
        SafeList(directory, () => Directory.GetDirectories(directory, pattern));

    private static IEnumerable<string> SafeFiles(string directory, string pattern) =>
        SafeList(directory, () => Directory.GetFiles(directory, pattern));

    private static IEnumerable<string> SafeList(string directory, Func<string[]> list)
    {
        try
        {
            return Directory.Exists(directory) ? list() : [];
        }
        catch (IOException)
        {
            return [];
        }
        catch (UnauthorizedAccessException)
        {
            return [];
        }
    }
}
