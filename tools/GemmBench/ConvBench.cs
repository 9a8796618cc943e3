using System.Diagnostics;
using System.Numerics;
using RawGan;
using RawGan.Backends;
using RawGan.Backends.Cpu;

/// <summary>
/// `--conv [size]`: ms per call and GFLOP/s (all cores) of the CPU backend's three conv directions on the conv shapes of
/// DCGAN at that image size (32 unless given) and batch 64, float32. G's transposed convs are the same shapes with
/// forward and data gradient swapped.
/// </summary>
internal static class ConvBench
{
    public static void Run(int size)
    {
        const int batch = 64;
        if (size < 8 || !BitOperations.IsPow2(size)) throw new ArgumentException($"--conv {size}: DCGAN sizes are powers of two from 8");
        // D's stride-2 convs halve the image and double the channels down to 4x4 (G's transposed convs are the same
        // shapes read backwards), then the two Linear-route convs: D's last to one logit and G's first from z.
        var layers = new List<(string Name, int C, int H, int O, int Stride, int Pad)>();
        int c = 3, o = 64, d = 1, g = BitOperations.Log2((uint)size / 4) + 1;
        for (int h = size; h > 4; h /= 2, c = o, o *= 2, d++, g--)
            layers.Add(($"D{d} / G{g}: {c}->{o} {h}x{h}", c, h, o, 2, 1));
        layers.Add(($"D{d}: {c}->1 4x4 (linear)", c, 4, 1, 1, 0));
        layers.Add(($"G1: {c}->100 4x4 (linear)", c, 4, 100, 1, 0));
        var cpu = CpuBackend.Instance;
        var cases = layers.Select(l =>
        {
            var args = new Conv2dArgs(l.Stride, l.Stride, l.Pad, l.Pad);
            int ho = (l.H + 2 * l.Pad - 4) / l.Stride + 1;
            var x = Random([batch, l.C, l.H, l.H], 1);
            var w = Random([l.O, l.C, 4, 4], 2);
            var y = Random([batch, l.O, ho, ho], 3);
            Action[] calls =
            [
                () => cpu.Conv2dForward(y, x, w, args),
                () => cpu.Conv2dBackwardData(x, y, w, args),
                () => cpu.Conv2dBackwardFilter(w, y, x, args),
            ];
            return (l.Name, Flops: 2.0 * batch * l.O * ho * ho * l.C * 16, Calls: calls);
        }).ToArray();

        // The runtime recompiles a method with full optimisation after 30 calls, on a background thread and after a
        // quiet spell of about 100 ms; with 15 warm-up calls per case, D1 was timed 3-4x too slow. So every call is
        // warmed up first, round-robin, with idle pauses for the compiler.
        for (int round = 0; round < 4; round++)
        {
            foreach (var call in cases.SelectMany(c => c.Calls))
                for (int i = 0; i < 10; i++) call();
            Thread.Sleep(250);
        }

        Console.WriteLine($"| conv, batch {batch}, float32 | forward: ms median / best / CPU (best GFLOP/s) | backward data | backward filter |");
        Console.WriteLine("|---|---|---|---|");
        foreach (var (name, flops, calls) in cases)
            Console.WriteLine($"| {name} | {string.Join(" | ", calls.Select(c => Time(c, flops)))} |");
    }

    /// <summary>
    /// Wall-clock median and fastest of at least 5 calls, more until 0.5 s is spent (at most 50), and the process's
    /// CPU time per call over them: on a shared machine the fastest call is the one least disturbed, and CPU time is
    /// not inflated by waiting for a core (but counts the pool threads' spinning).
    /// </summary>
    private static string Time(Action call, double flops)
    {
        var ms = new List<double>();
        var total = Stopwatch.StartNew();
        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        while (ms.Count < 5 || (total.Elapsed.TotalSeconds < 0.5 && ms.Count < 50))
        {
            long t0 = Stopwatch.GetTimestamp();
            call();
            ms.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
        }
        double cpuMs = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalMilliseconds / ms.Count;
        ms.Sort();
        return $"{ms[ms.Count / 2]:F2} / {ms[0]:F2} / {cpuMs:F2} ({flops / ms[0] / 1e6:F0})";
    }

    private static Tensor Random(int[] shape, int seed)
    {
        var rng = new Random(seed);
        var data = new float[shape.Aggregate(1, (a, b) => a * b)];
        for (int i = 0; i < data.Length; i++) data[i] = (float)(rng.NextDouble() * 2 - 1);
        return Tensor.FromArray(data, shape);
    }
}
