// Throughput of `rawgan eval`'s pipeline (ProGAN's sliced Wasserstein distance, diversity, nearest
// images) on this machine. Usage: EvalBench [images per side, default 16384] [size, default 64]
// First checks every projection kernel version (v1 Vector256, v2 Vector512) against the double
// reference and the radix sort against Array.Sort; then times each alone on one thread, and the
// whole protocol: n generated images against n real ones plus the real-vs-real baseline (2n real
// images, so both comparisons use n a side), on built-in synthetic faces so no data set is needed.
// The goal: 16,384 64x64 images a side in under 2 minutes on a 2-core machine. The load average
// and the process's CPU time are printed too: on a shared machine the wall time reads slower.
using System.Diagnostics;
using System.Globalization;
using System.Runtime.Intrinsics;
using RawGan.Data;
using RawGan.Eval;

int count = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 16384;
int size = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 64;
Console.WriteLine($"{Environment.ProcessorCount} cores, load average {LoadAverage()}");

// ---- correctness before speed ----------------------------------------------------------------
var rng = new Random(1);
const int Rows = PyramidPatches.PatchesPerImage, Columns = 32;
var rows = new float[Rows * DescriptorSet.RowStride];
var directions = new float[DescriptorSet.Length * Columns];
for (int i = 0; i < rows.Length; i++) rows[i] = (float)(rng.NextDouble() * 2 - 1);
for (int i = 0; i < directions.Length; i++) directions[i] = (float)((rng.NextDouble() * 2 - 1) / Math.Sqrt(DescriptorSet.Length));
var fast = new float[Rows * Columns];
var reference = new float[Rows * Columns];
Projection.Reference(rows, Rows, DescriptorSet.RowStride, DescriptorSet.Length, directions, Columns, reference);
(string Name, Kernel Run)[] kernels =
[
    ("v1 Vector256", Projection.RunVector256),
    ("v2 Vector512" + (Vector512.IsHardwareAccelerated ? "" : " (emulated here)"), Projection.RunVector512),
];
foreach (var (name, run) in kernels)
{
    run(rows, Rows, DescriptorSet.RowStride, DescriptorSet.Length, directions, Columns, fast);
    double worst = fast.Zip(reference, (a, b) => Math.Abs(a - b)).Max();
    Console.WriteLine($"projection {name} vs double reference: max |difference| {worst:E2} ({(worst < 1e-5 ? "ok" : "FAILED")})");
    if (worst >= 1e-5) return 1;
}

int keysPerColumn = count * PyramidPatches.PatchesPerImage;
var values = new float[keysPerColumn];
for (int i = 0; i < values.Length; i++) values[i] = (float)(Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble()));
var keys = values.Select(SortedKeys.ToKey).ToArray();
var scratch = new uint[keys.Length];
var counts = new int[SortedKeys.CountsLength];
var sorted = SortedKeys.Sort(keys.ToArray(), scratch, counts).ToArray();
var expected = values.ToArray();
Array.Sort(expected);
bool sortOk = sorted.Select(SortedKeys.FromKey).SequenceEqual(expected);
Console.WriteLine($"radix sort vs Array.Sort on {keysPerColumn:N0} floats: {(sortOk ? "ok" : "FAILED")}");
if (!sortOk) return 1;

// ---- kernels alone, one thread ---------------------------------------------------------------
var table = new List<(string What, string Amount, string Seconds, string Rate)>();
var clock = Stopwatch.StartNew();
foreach (var (name, run) in kernels)
{
    clock.Restart();
    int reps = 0;
    for (; clock.Elapsed.TotalSeconds < 2; reps++)
        run(rows, Rows, DescriptorSet.RowStride, DescriptorSet.Length, directions, Columns, fast);
    double flops = 2.0 * Rows * DescriptorSet.Length * Columns * reps;
    table.Add(($"projection {name}, 1 thread", $"{flops / 1e9:F1} GFLOP", clock.Elapsed.TotalSeconds.ToString("F2"), $"{flops / clock.Elapsed.TotalSeconds / 1e9:F1} GFLOP/s"));
}

var work = new uint[keys.Length];
clock.Restart();
int sorts = 0;
for (; clock.Elapsed.TotalSeconds < 2; sorts++)
{
    keys.CopyTo(work, 0);
    SortedKeys.Sort(work, scratch, counts);
}
table.Add(($"radix sort of {keysPerColumn:N0} keys, 1 thread", $"{sorts} columns", clock.Elapsed.TotalSeconds.ToString("F2"),
    $"{(double)sorts * keysPerColumn / clock.Elapsed.TotalSeconds / 1e6:F0} Mkeys/s"));

// ---- the whole protocol ----------------------------------------------------------------------
clock.Restart();
var real = new SyntheticFaces(2 * count, size, seed: 0);
var fake = new SyntheticFaces(count, size, seed: 1);
table.Add(($"render {3 * count:N0} synthetic faces (input, not timed below)", $"{3 * count:N0} images", clock.Elapsed.TotalSeconds.ToString("F2"), ""));

var stages = new Dictionary<string, (double First, double Last)>();
var cpu = Process.GetCurrentProcess().TotalProcessorTime;
var total = Stopwatch.StartNew();
var report = Evaluation.Run(real, fake, new EvalOptions { Count = count, Seed = 0 }, new Recorder(stages, total));
double seconds = total.Elapsed.TotalSeconds;
double cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
double previous = 0;
foreach (var (stage, (_, last)) in stages.OrderBy(s => s.Value.Last))
{
    table.Add(($"  {stage}", "", (last - previous).ToString("F2"), ""));
    previous = last;
}
table.Add(($"rawgan eval protocol: {count:N0} a side at {size}x{size} + baseline", $"{2 * count:N0} images", seconds.ToString("F2"),
    $"{2 * count / seconds:F0} images/s"));

Console.WriteLine();
Console.WriteLine($"{"stage",-62} {"amount",16} {"seconds",8} {"rate",16}");
foreach (var (what, amount, secs, rate) in table)
    Console.WriteLine($"{what,-62} {amount,16} {secs,8} {rate,16}");
Console.WriteLine();
Console.WriteLine($"swd x1e3 generated: {string.Join(", ", report.Fake.Fields().Select(f => $"{f.Name} {f.Value:F3}"))}");
Console.WriteLine($"swd x1e3 baseline:  {string.Join(", ", report.Baseline.Fields().Select(f => $"{f.Name} {f.Value:F3}"))}");
Console.WriteLine($"CPU time {cpuSeconds:F1} s over {seconds:F1} s wall: {cpuSeconds / seconds:F2} of {Environment.ProcessorCount} cores were ours " +
                  $"(on an idle machine about {cpuSeconds / Environment.ProcessorCount:F0} s, {2 * count / (cpuSeconds / Environment.ProcessorCount):F0} images/s)");
double projected = seconds * 16384 / count;
Console.WriteLine($"16,384 a side: {(count == 16384 ? "" : "about ")}{projected:F0} s wall (goal: under 120 s); load average now {LoadAverage()}");
return 0;

static string LoadAverage() =>
    File.Exists("/proc/loadavg") ? string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

/// <summary>Notes when each stage of the evaluation first and last reports.</summary>
sealed class Recorder(Dictionary<string, (double First, double Last)> stages, Stopwatch clock) : IProgress<EvalProgress>
{
    public void Report(EvalProgress value)
    {
        lock (stages)
        {
            double now = clock.Elapsed.TotalSeconds;
            stages[value.Stage] = stages.TryGetValue(value.Stage, out var seen) ? (seen.First, now) : (now, now);
        }
    }
}

/// <summary>The signature every projection kernel version shares.</summary>
delegate void Kernel(ReadOnlySpan<float> rows, int rowCount, int rowStride, int depth, ReadOnlySpan<float> directions, int columns, Span<float> output);
