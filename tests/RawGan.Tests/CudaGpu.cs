using System.Text.Json;
using RawGan.Backends.Cuda;
using RawGan.Recipes;

namespace RawGan.Tests;

/// <summary>
/// Every CUDA test class runs in this one collection, alone: the device is one shared resource.
/// A class that captures a graph would record another class's work queued meanwhile on the same
/// stream (or refuse its host copies), tests read the allocator's process-wide counters, some time
/// the stream, and one sets RAWGAN_LIBCUDNN for the whole process.
/// </summary>
[CollectionDefinition(nameof(CudaGpu), DisableParallelization = true)]
public sealed class CudaCollection;

/// <summary>The CUDA backend for tests that need a GPU; skips the test with the reason when there is none.</summary>
internal static class CudaGpu
{
    private static readonly Lazy<(CudaBackend? Backend, string? Reason)> Gpu = new(() =>
    {
        try
        {
            return (CudaBackend.Instance, null);
        }
        catch (CudaUnavailableException e)
        {
            return (null, e.Message);
        }
    });

    /// <summary>Whether this machine has no usable GPU (the reason is then set).</summary>
    public static bool Missing => Gpu.Value.Backend is null;

    public static CudaBackend Require()
    {
        var (backend, reason) = Gpu.Value;
        if (backend is null) Assert.Skip($"no CUDA GPU: {reason}");
        return backend;
    }

    /// <summary>Lets the finalizers of earlier tests' unreachable tensors return their blocks now, so that
    /// they do not land in the middle of a test that counts the allocator's bytes.</summary>
    public static void CollectEarlierTensors()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }

    /// <summary>
    /// As <see cref="Require"/>, and skips on the host emulation of CUDA (tests/CudaEmulator), whose
    /// streams run their work at once on the CPU: what only a real GPU shows (work queued far ahead
    /// of the host, its timing) is named in <paramref name="why"/>.
    /// </summary>
    public static CudaBackend RequireRealGpu(string why)
    {
        var backend = Require();
        if (backend.Info.Name.Contains("host emulation", StringComparison.Ordinal))
            Assert.Skip($"the host emulation of CUDA runs each stream's work at once: {why}");
        return backend;
    }
}

/// <summary>
/// Each recipe at a small size for the whole-recipe CUDA tests: every layer kind of the full
/// recipe, at widths of 16. Small keeps the host emulation's run short, and keeps the first
/// update deterministic enough to compare: RMSprop's and Adam's first step moves each weight by
/// about lr times the sign of its gradient, so a gradient component whose sign depends on the
/// summation order moves by twice that on one device only. At full size torchfaces (RMSprop,
/// lr 1e-3) then drifts 4e-3 apart by its second step on the host emulation; at these sizes every
/// recipe's metrics agree to 1e-6.
/// </summary>
internal static class SmallRecipes
{
    public static string Options(string name) => name switch
    {
        "dcgan" => JsonSerializer.Serialize(new DcganOptions { Size = 32, Nz = 16, Ngf = 16, Ndf = 16 }),
        "torchfaces" => JsonSerializer.Serialize(new TorchFacesOptions { Size = 32, Nz = 16, Ngf = 16, Ndf = 16, Hidden = 64 }),
        "vaegan" => JsonSerializer.Serialize(new VaeGanOptions { Size = 32, Nz = 16, Ngf = 16, Ndf = 16, Hidden = 64, Nef = 16 }),
        "tfdcgan" => JsonSerializer.Serialize(new TfDcganOptions { Nz = 16, Ngf = 16, Ndf = 16 }),
        "began" => JsonSerializer.Serialize(new BeganOptions { Size = 64, Filters = 16, Nz = 16, Hidden = 16 }),
        _ => throw new ArgumentException($"no small options for recipe '{name}'"),
    };
}
