using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace RawGan.Bench;

/// <summary>
/// One `rawgan bench train` measurement. As JSON (snake_case) it has the fields
/// tools/peers/bench_torch.py prints, so tools/peers/compare.sh reads both the same way.
/// </summary>
public sealed record BenchResult
{
    public string Engine => "rawgan";
    public required string Recipe { get; init; }
    public required int Batch { get; init; }
    public required int Size { get; init; }
    public required string Precision { get; init; }
    /// <summary>Whether the timed iterations were replays of a CUDA graph (`--graph on`).</summary>
    public bool Graph { get; init; }
    /// <summary>"cpu" or "cuda".</summary>
    public required string Device { get; init; }
    /// <summary>The CPU model and thread count, or the GPU's name and architecture.</summary>
    public required string DeviceName { get; init; }
    public required int Warmup { get; init; }
    public required int Iters { get; init; }
    /// <summary>Median over the timed iterations.</summary>
    public required double MsPerIter { get; init; }
    public required double MsMin { get; init; }
    public required double MsMax { get; init; }
    public double ImgPerS => Batch / (MsPerIter / 1e3);
    /// <summary>Conv, transposed conv and linear FLOPs of one step per image (<see cref="BenchRecipes"/>).</summary>
    public required double GflopPerImage { get; init; }
    public double Tflops => GflopPerImage * Batch / (MsPerIter / 1e3) / 1e3;
    /// <summary>CUDA: the allocator's peak of memory in tensors (PyTorch's max_memory_allocated).
    /// CPU: the process's peak working set.</summary>
    public required double PeakMemMb { get; init; }
    /// <summary>CPU: the CPU allocator's peak of memory in tensors, the measure CUDA's peak_mem_mb is.</summary>
    public double? TensorPeakMb { get; init; }
    /// <summary>CUDA: the allocator's peak of memory obtained from the driver (PyTorch's max_memory_reserved).</summary>
    public double? ReservedMb { get; init; }
    /// <summary>CPU: processor time of all the process's threads per timed iteration. Other processes
    /// that take turns on the cores inflate the wall-clock time, much less this.</summary>
    public double? CpuMsPerIter { get; init; }
    /// <summary>CPU: managed bytes allocated per timed iteration (tensors are managed arrays on the CPU).</summary>
    public double? AllocMbPerIter { get; init; }
    /// <summary>CPU: garbage-collection pause per timed iteration.</summary>
    public double? GcPauseMsPerIter { get; init; }
    /// <summary>CPU: gen-2 collections in all the timed iterations.</summary>
    public int? Gen2Collections { get; init; }
    public required IReadOnlyDictionary<string, string> Versions { get; init; }
    /// <summary>`--profile` (CUDA): GPU time per kernel and library call over further eager iterations, largest first.</summary>
    public IReadOnlyList<ProfileEntry>? Profile { get; init; }
    /// <summary>`--profile`: wall time per profiled iteration (the events add a little host time per launch).</summary>
    public double? ProfiledMsPerIter { get; init; }

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>One JSON object on one line.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>The human-readable report.</summary>
    public IEnumerable<string> Describe()
    {
        var c = CultureInfo.InvariantCulture;
        yield return string.Create(c, $"bench train {Recipe}: batch {Batch}, {Size}x{Size}, {Device} ({DeviceName}), {Precision}{(Graph ? ", CUDA graph" : "")}; {Warmup} warm-up + {Iters} timed iterations");
        yield return string.Create(c, $"ms/iter   {MsPerIter:F2} median (min {MsMin:F2}, max {MsMax:F2})");
        yield return string.Create(c, $"img/s     {ImgPerS:F1}");
        yield return string.Create(c, $"compute   {GflopPerImage:F3} GFLOP per image per iteration, {Tflops * 1e3:F1} GFLOP/s ({Tflops:F3} TFLOP/s)");
        if (Device == "cuda")
        {
            yield return string.Create(c, $"memory    peak {PeakMemMb:F0} MB in tensors, {ReservedMb:F0} MB reserved");
        }
        else
        {
            yield return string.Create(c, $"cpu time  {CpuMsPerIter:F2} ms per iteration, all threads");
            yield return string.Create(c, $"memory    peak working set {PeakMemMb:F0} MB, {TensorPeakMb:F0} MB in tensors; {AllocMbPerIter:F0} MB allocated and {GcPauseMsPerIter:F1} ms GC pause per iteration, {Gen2Collections} gen-2 GCs");
        }
        yield return "versions  " + string.Join(", ", Versions.Select(kv => $"{kv.Key} {kv.Value}"));
        if (Profile is null) yield break;
        double busy = Profile.Sum(p => p.MsPerIter);
        yield return "";
        yield return string.Create(c, $"profile   {Iters} eager iterations: the GPU worked {busy:F3} of {ProfiledMsPerIter:F3} ms per iteration ({100 * busy / ProfiledMsPerIter:F0} %); the rest is launch and host time");
        yield return string.Create(c, $"{"ms/iter",9} {"%",5} {"calls",6}  work");
        foreach (var p in Profile)
            yield return string.Create(c, $"{p.MsPerIter,9:F3} {100 * p.MsPerIter / busy,5:F1} {p.CallsPerIter,6:0.##}  {p.Name}");
    }
}

/// <summary>One row of a `--profile`: a kernel or library call, its calls and GPU milliseconds per iteration.</summary>
public sealed record ProfileEntry(string Name, double CallsPerIter, double MsPerIter);
