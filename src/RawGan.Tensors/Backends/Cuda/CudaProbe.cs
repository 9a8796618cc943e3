namespace RawGan.Backends.Cuda;

// Inside the namespace so that "Cuda" names the driver bindings, not this namespace.
using System.Globalization;
using RawGan.Backends.Cuda.Interop;

/// <summary>One CUDA library as the probe found it: where it was loaded from, or why not and what to do.</summary>
public sealed record CudaLibraryStatus(string Name, string? Path, string? Version, string? Problem, string? Hint)
{
    public bool Available => Problem is null;
}

public sealed record CudaDeviceInfo(int Ordinal, string Name, int ComputeMajor, int ComputeMinor, int Multiprocessors, long TotalMemoryBytes)
{
    /// <summary>The NVRTC target of this device, e.g. "sm_90".</summary>
    public string Architecture => $"sm_{ComputeMajor}{ComputeMinor}";
}

/// <summary>What <see cref="CudaProbe.Run"/> found; <see cref="Describe"/> renders it for `rawgan doctor`.</summary>
public sealed record CudaProbeReport(
    bool GpuAvailable,
    string? GpuProblem,
    string? DriverVersion,
    IReadOnlyList<CudaDeviceInfo> Devices,
    CudaLibraryStatus Driver,
    CudaLibraryStatus Nvrtc,
    CudaLibraryStatus Cublas,
    CudaLibraryStatus Cudnn)
{
    public int DeviceCount => Devices.Count;

    public string Describe()
    {
        var lines = new List<string>();
        Add(lines, Driver);
        if (Devices.Count == 0) lines.Add($"{"GPU",-12} none: {GpuProblem}");
        foreach (var d in Devices)
            lines.Add(string.Create(CultureInfo.InvariantCulture,
                $"{"GPU " + d.Ordinal,-12} {d.Name}: {d.Architecture}, {d.Multiprocessors} SMs, {d.TotalMemoryBytes / (1024.0 * 1024 * 1024):F1} GiB"));
        Add(lines, Nvrtc);
        Add(lines, Cublas);
        Add(lines, Cudnn);
        return string.Join(Environment.NewLine, lines);
    }

    public override string ToString() => Describe();

    private static void Add(List<string> lines, CudaLibraryStatus library)
    {
        if (library.Available)
        {
            lines.Add($"{library.Name,-12} {library.Version} ({library.Path})");
            return;
        }
        lines.Add($"{library.Name,-12} {(library.Path is null ? "missing" : "unusable")}: {library.Problem}");
        if (library.Hint is not null) lines.Add($"{"",-12} hint: {library.Hint}");
    }
}

/// <summary>
/// Finds out, without throwing, whether this machine can run the CUDA backend: the driver and
/// its GPUs, then NVRTC, cuBLAS and cuDNN. A missing GPU or library is an ordinary answer.
/// </summary>
public static class CudaProbe
{
    public static CudaProbeReport Run()
    {
        var devices = new List<CudaDeviceInfo>();
        var (driver, driverVersion, gpuProblem) = ProbeDriver(devices);
        var gpu = devices.Count > 0;
        var nvrtc = ProbeLibrary(NativeLibraries.Nvrtc, "NVRTC",
            "install NVRTC from the CUDA toolkit (e.g. `apt install cuda-nvrtc-12-6`) or its wheel (`pip install nvidia-cuda-nvrtc-cu12`), or set RAWGAN_LIBNVRTC",
            () => NvrtcVersion(devices));
        var cublas = ProbeLibrary(NativeLibraries.Cublas, "cuBLAS",
            "install cuBLAS from the CUDA toolkit (e.g. `apt install libcublas-12-6`) or its wheel (`pip install nvidia-cublas-cu12`), or set RAWGAN_LIBCUBLAS",
            () => CublasVersion(gpu));
        var cudnn = ProbeLibrary(NativeLibraries.Cudnn, "cuDNN",
            "install cuDNN 9 (e.g. `apt install libcudnn9-cuda-12`, or `pip install nvidia-cudnn-cu12`), or set RAWGAN_LIBCUDNN",
            () => CudnnVersion(gpu));
        return new(gpu, gpu ? null : gpuProblem, driverVersion, devices, driver, nvrtc, cublas, cudnn);
    }

    private static (CudaLibraryStatus Status, string? Version, string? GpuProblem) ProbeDriver(List<CudaDeviceInfo> devices)
    {
        const string name = "CUDA driver";
        const string installDriver = "install the NVIDIA driver (it provides libcuda.so.1), or set RAWGAN_LIBCUDA to its full path";
        if (!NativeLibraries.TryLoad(NativeLibraries.Cuda, out var path, out var error))
            return (new(name, null, null, error, installDriver), null, "no CUDA driver");
        string? version = null;
        try
        {
            Cuda.Check(Cuda.cuDriverGetVersion(out var v));
            version = FormatDriverVersion(v);
            var init = Cuda.cuInit(0);
            if (init == CUresult.CUDA_ERROR_NO_DEVICE)
                return (new(name, path, version, null, null), version, "the driver sees no CUDA device (check nvidia-smi and CUDA_VISIBLE_DEVICES)");
            if (init == CUresult.CUDA_ERROR_STUB_LIBRARY)
                return (new(name, path, version, $"{path} is the CUDA toolkit's stub library, not the driver", installDriver), version, "no CUDA driver");
            Cuda.Check(init);
            Cuda.Check(Cuda.cuDeviceGetCount(out var count));
            for (var i = 0; i < count; i++) devices.Add(DescribeDevice(i));
            return (new(name, path, version, null, null), version, count == 0 ? "the driver reports no CUDA device" : null);
        }
        catch (Exception e)
        {
            // A diagnostic must answer rather than throw: whatever failed becomes the reason.
            devices.Clear();
            return (new(name, path, version, e.Message, "check the driver with nvidia-smi"), version, e.Message);
        }
    }

    private static CudaDeviceInfo DescribeDevice(int ordinal)
    {
        Cuda.Check(Cuda.cuDeviceGet(out var device, ordinal));
        int Attribute(CUdevice_attribute attribute)
        {
            Cuda.Check(Cuda.cuDeviceGetAttribute(out var value, attribute, device));
            return value;
        }
        Cuda.Check(Cuda.cuDeviceTotalMem_v2(out var bytes, device));
        return new(ordinal, Cuda.DeviceName(device),
            Attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR),
            Attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR),
            Attribute(CUdevice_attribute.CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT),
            (long)bytes);
    }

    private static CudaLibraryStatus ProbeLibrary(string logical, string name, string hint, Func<string> version)
    {
        if (!NativeLibraries.TryLoad(logical, out var path, out var error))
            return new(name, null, null, error, hint);
        try
        {
            return new(name, path, version(), null, null);
        }
        catch (Exception e)
        {
            // As above: a library that loads but fails its first calls is reported, not thrown.
            return new(name, path, null, e.Message, $"check that {name} matches the driver's CUDA version");
        }
    }

    /// <summary>cuDriverGetVersion's 1000 * major + 10 * minor, as "13.0".</summary>
    public static string FormatDriverVersion(int version) =>
        string.Create(CultureInfo.InvariantCulture, $"{version / 1000}.{version % 1000 / 10}");

    private static unsafe string NvrtcVersion(List<CudaDeviceInfo> devices)
    {
        Nvrtc.Check(Nvrtc.nvrtcVersion(out var major, out var minor));
        Nvrtc.Check(Nvrtc.nvrtcGetNumSupportedArchs(out var count));
        var archs = new int[count];
        fixed (int* p = archs) Nvrtc.Check(Nvrtc.nvrtcGetSupportedArchs(p));
        var text = $"{major}.{minor}";
        if (count > 0) text += $", targets sm_{archs.Min()} to sm_{archs.Max()}";
        var unsupported = devices.Where(d => !archs.Contains(d.ComputeMajor * 10 + d.ComputeMinor)).Select(d => d.Architecture).Distinct().ToArray();
        if (unsupported.Length > 0) text += $" (not {string.Join(", ", unsupported)}: kernels will be JIT-compiled from PTX)";
        return text;
    }

    private static string CublasVersion(bool gpu)
    {
        Cublas.Check(Cublas.cublasGetProperty(libraryPropertyType.MAJOR_VERSION, out var major));
        Cublas.Check(Cublas.cublasGetProperty(libraryPropertyType.MINOR_VERSION, out var minor));
        Cublas.Check(Cublas.cublasGetProperty(libraryPropertyType.PATCH_LEVEL, out var patch));
        if (gpu)
        {
            // A handle proves cuBLAS works with this driver (a newer cuBLAS than the driver fails here).
            Cublas.Check(Cublas.cublasCreate_v2(out var handle));
            Cublas.Check(Cublas.cublasDestroy_v2(handle));
        }
        return $"{major}.{minor}.{patch}";
    }

    private static string CudnnVersion(bool gpu)
    {
        var version = (long)Cudnn.cudnnGetVersion();
        if (gpu)
        {
            // Likewise a handle proves the sub-libraries load and accept this GPU.
            Cudnn.Check(Cudnn.cudnnCreate(out var handle));
            Cudnn.Check(Cudnn.cudnnDestroy(handle));
        }
        return string.Create(CultureInfo.InvariantCulture, $"{version / 10000}.{version % 10000 / 100}.{version % 100}");
    }
}
