using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using RawGan.Backends.Cpu;
using RawGan.Tests;

// GFLOP/s of the float32 CPU GEMM against the naive reference, on square sizes and on the GEMMs im2col makes of
// DCGAN's conv x[64,64,16,16] * w[128,64,4,4] (stride 2, pad 1): per image, batched as one GEMM, and its two
// backward GEMMs. Every timed configuration is first checked against the naive result (or, where naive is too slow
// to run, against the Vector256 path). Prints the median and the best of the repeats after a warm-up, by the wall
// clock, and for one thread also per second of the thread's own CPU time, which time-slicing on a shared machine
// does not inflate. Usage: dotnet run -c Release --project tools/GemmBench [-- --quick | --conv [size]]
// --conv times the CPU backend's convolutions instead (ConvBench.cs).

int conv = Array.IndexOf(args, "--conv");
if (conv >= 0)
{
    ConvBench.Run(conv + 1 < args.Length ? int.Parse(args[conv + 1]) : 32);
    return;
}

bool quick = args.Contains("--quick");
int cores = Environment.ProcessorCount;
Console.WriteLine($"CPU: {CpuModel()}, {cores} logical cores");
Console.WriteLine($"SIMD: Vector512 {(Vector512.IsHardwareAccelerated ? "yes" : "no")}, Vector256 {(Vector256.IsHardwareAccelerated ? "yes" : "no")}, " +
    $"FMA {(Fma.IsSupported ? "yes" : "no")}, Vector<float> {System.Numerics.Vector<float>.Count} lanes; GEMM default: {Gemm.BestIsa}");
Console.WriteLine($".NET {Environment.Version}, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
Console.WriteLine();

var cases = new BenchCase[]
{
    new("square 256", false, false, 256, 256, 256),
    new("square 512", false, false, 512, 512, 512),
    new("square 1024", false, false, 1024, 1024, 1024),
    new("square 2048", false, false, 2048, 2048, 2048),
    new("conv fwd per image: W·col", false, false, 128, 64, 1024),
    new("conv fwd batched: W·col", false, false, 128, 4096, 1024),
    new("conv dW batched: dY·colᵀ", false, true, 128, 1024, 4096),
    new("conv dcol batched: Wᵀ·dY", true, false, 1024, 4096, 128),
};
if (quick) cases = cases.Where(c => (long)c.M * c.N * c.K <= 1L << 28).ToArray();

// Bring every code path to its optimised (tier-1) JIT code before anything is timed.
var warm = new BenchCase("warm-up", false, false, 192, 192, 192);
var sw = Stopwatch.StartNew();
while (sw.Elapsed.TotalSeconds < 1)
    foreach (var isa in new[] { Gemm.BestIsa, GemmIsa.Vector256 })
        foreach (int t in new[] { 1, cores }) warm.Gemm(isa, t);
warm.Naive();

Console.WriteLine("GFLOP/s, median (best) of the repeats; naive = the reference triple loop. Wall clock, except");
Console.WriteLine("\"CPU time\": the same 1-thread runs timed by the thread's own CPU clock (immune to time-slicing).");
Console.WriteLine();
Console.WriteLine($"| shape | M×N×K | naive, 1 thread | Vector256, 1 thread | {Gemm.BestIsa}, 1 thread | {Gemm.BestIsa}, 1 thread, CPU time | {Gemm.BestIsa}, {cores} threads |");
Console.WriteLine("|---|---|---|---|---|---|---|");
foreach (var c in cases)
{
    // Naive runs at ~1-3 GFLOP/s; past 2^30 multiply-adds it alone would take most of a minute.
    bool naive = (long)c.M * c.N * c.K <= 1L << 30;
    float[] reference = naive ? c.Naive() : c.Gemm(GemmIsa.Vector256, cores);
    foreach (var (isa, t) in new[] { (GemmIsa.Vector256, 1), (Gemm.BestIsa, 1), (Gemm.BestIsa, cores) })
        c.Validate(c.Gemm(isa, t), reference, $"{isa}, {t} threads");

    string naiveCell = naive ? Timing.Measure(() => c.Naive(), c.Flops, Clock.Wall, minReps: 1, budgetSeconds: 0).ToString() : "—";
    string cpuCell = Clock.HasThreadCpu ? Timing.Measure(() => c.Gemm(Gemm.BestIsa, 1), c.Flops, Clock.ThreadCpu).ToString() : "n/a";
    Console.WriteLine($"| {c.Name} | {c.M}×{c.N}×{c.K}{(c.TransA ? " (Aᵀ)" : "")}{(c.TransB ? " (Bᵀ)" : "")} | {naiveCell} | " +
        $"{Timing.Measure(() => c.Gemm(GemmIsa.Vector256, 1), c.Flops, Clock.Wall)} | " +
        $"{Timing.Measure(() => c.Gemm(Gemm.BestIsa, 1), c.Flops, Clock.Wall)} | {cpuCell} | " +
        $"{Timing.Measure(() => c.Gemm(Gemm.BestIsa, cores), c.Flops, Clock.Wall)} |");
}

static string CpuModel()
{
    const string key = "model name";
    var line = File.Exists("/proc/cpuinfo")
        ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith(key, StringComparison.Ordinal))
        : null;
    return line is null ? "unknown (no /proc/cpuinfo)" : line[(line.IndexOf(':') + 1)..].Trim();
}

/// <summary>One float32 product C = op(A)·op(B) with its operands, filled with uniform values in [-1, 1).</summary>
internal sealed class BenchCase(string name, bool transA, bool transB, int m, int n, int k)
{
    private readonly float[] _a = Random(m * k, 1), _b = Random(k * n, 2), _c = new float[m * n];

    public string Name => name;
    public bool TransA => transA;
    public bool TransB => transB;
    public int M => m;
    public int N => n;
    public int K => k;
    public double Flops => 2.0 * m * n * k;

    private int Lda => transA ? m : k;
    private int Ldb => transB ? k : n;

    public float[] Gemm(GemmIsa isa, int threads)
    {
        RawGan.Backends.Cpu.Gemm.Run(isa, threads, transA, transB, m, n, k, 1f, _a, Lda, _b, Ldb, 0f, _c, n);
        return _c;
    }

    public float[] Naive()
    {
        GemmReference.Run(transA, transB, m, n, k, 1f, _a, Lda, _b, Ldb, 0f, _c, n);
        return (float[])_c.Clone();
    }

    /// <summary>
    /// Both are sums of k products of values in [-1, 1), whose partial sums stay well under k: their rounding
    /// differs by far less than 4k·ε, a wrong or missing product by about 1/4.
    /// </summary>
    public void Validate(float[] got, float[] reference, string what)
    {
        float tol = 4 * k * (MathF.BitIncrement(1f) - 1f);
        for (int i = 0; i < got.Length; i++)
            if (!(Math.Abs(got[i] - reference[i]) <= tol))
                throw new InvalidOperationException($"{name} {what}: C[{i / n},{i % n}] = {got[i]}, reference {reference[i]}");
    }

    private static float[] Random(int count, int seed)
    {
        var rng = new Random(seed);
        var x = new float[count];
        for (int i = 0; i < x.Length; i++) x[i] = (float)(rng.NextDouble() * 2 - 1);
        return x;
    }
}

/// <summary>GFLOP/s of repeated runs: the median and the best.</summary>
internal readonly record struct Timing(double Median, double Best)
{
    public override string ToString() => $"{Median:F1} ({Best:F1})";

    /// <summary>One warm-up run, then at least <paramref name="minReps"/> timed runs, more until the budget is spent (at most 25).</summary>
    public static Timing Measure(Action run, double flops, Func<double> clock, int minReps = 5, double budgetSeconds = 0.5)
    {
        run();
        var seconds = new List<double>();
        var total = Stopwatch.StartNew();
        while (seconds.Count < minReps || (total.Elapsed.TotalSeconds < budgetSeconds && seconds.Count < 25))
        {
            double t0 = clock();
            run();
            seconds.Add(clock() - t0);
        }
        seconds.Sort();
        return new Timing(flops / seconds[seconds.Count / 2] / 1e9, flops / seconds[0] / 1e9);
    }
}

/// <summary>Seconds by the wall clock, or by the calling thread's CPU clock (Linux: CLOCK_THREAD_CPUTIME_ID).</summary>
internal static partial class Clock
{
    private const int ClockThreadCpuTimeId = 3;

    public static Func<double> Wall { get; } = () => Stopwatch.GetTimestamp() / (double)Stopwatch.Frequency;

    public static Func<double> ThreadCpu { get; } = () =>
    {
        ClockGetTime(ClockThreadCpuTimeId, out var t);
        return t.Seconds + t.Nanoseconds * 1e-9;
    };

    public static bool HasThreadCpu { get; } = OperatingSystem.IsLinux();

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds, Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clockId, out Timespec time);
}
