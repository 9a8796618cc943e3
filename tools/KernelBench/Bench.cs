using System.Globalization;
using RawGan.Backends;
using RawGan.Backends.Cuda;
using RawGan.Backends.Cuda.Interop;

namespace RawGan.KernelBench;

/// <summary>One benchmarked kernel: its inputs and outputs, how to run it on a backend, and the
/// bytes it moves per call (reads + writes), which GB/s is computed from. Bitwise: the outputs
/// must match the CPU's bit for bit (they hold packed bf16 pairs, not float32 values).</summary>
internal sealed record ElementwiseCase(
    string Name,
    int Elements,
    int[][] InputShapes,
    int[][] OutputShapes,
    long Bytes,
    Action<IBackend, Tensor[], Tensor[]> Run,
    double Rtol = 1e-5,
    double Atol = 1e-6,
    Func<float, float, float>? InputRange = null,
    Action<Tensor[], Tensor[]>? RunRaw = null,
    bool Bitwise = false);

/// <summary>An upload from host memory and the bytes it copies from the host.</summary>
internal sealed record UploadCase(string Name, long HostBytes, Action Upload);

/// <summary>A cuDNN call at one shape, its floating-point operations (0: none counted) and bytes.</summary>
internal sealed record CudnnCase(string Name, double Flops, long Bytes, Func<Tensor[]> Setup, Action<IBackend, Tensor[]> Run);

internal sealed class Bench(CudaBackend cuda, bool quick)
{
    /// <summary>Inputs rotate through at least this many bytes so L2 (50 MB on H100) cannot serve them.</summary>
    private const long RotateBytes = 200L << 20;

    private readonly int _repeats = quick ? 5 : 21;
    private readonly Random _rng = new(1234);

    public double DeviceToDeviceBandwidth()
    {
        const long bytes = 1L << 30;
        var src = Tensor.Empty([(int)(bytes / 4)], DType.Float32, Device.Cuda);
        var dst = Tensor.Empty([(int)(bytes / 4)], DType.Float32, Device.Cuda);
        cuda.Fill(src, 1);
        double ms = Median(() => Check(Cuda.cuMemcpyDtoDAsync_v2(Pointer(dst), Pointer(src), (nuint)bytes, cuda.Stream)), 1);
        src.Dispose();
        dst.Dispose();
        cuda.EmptyCache();
        return 2.0 * bytes / (ms * 1e-3) / 1e9;
    }

    public (bool Valid, string Line, Dictionary<string, object> Json) Run(ElementwiseCase c, double copyGBs)
    {
        using var scope = new TensorScope();
        long setBytes = Math.Max(c.Bytes, 1);
        int sets = (int)Math.Clamp((RotateBytes + setBytes - 1) / setBytes, 1, 64);
        var inputs = Enumerable.Range(0, sets).Select(_ => c.InputShapes.Select(s => Random(s, c.InputRange)).ToArray()).ToArray();
        var outputs = Enumerable.Range(0, sets).Select(_ => c.OutputShapes.Select(s => Tensor.Zeros(s, DType.Float32, Device.Cuda)).ToArray()).ToArray();

        var check = Validate(c, inputs[0], outputs[0]);
        double ms = Median(() =>
        {
            foreach (var i in Enumerable.Range(0, sets))
                if (c.RunRaw is not null) c.RunRaw(inputs[i], outputs[i]);
                else c.Run(cuda, inputs[i], outputs[i]);
        }, sets);
        double gbs = c.Bytes / (ms * 1e-3) / 1e9;
        var line = string.Create(CultureInfo.InvariantCulture,
            $"{c.Name,-34} {c.Elements,10} {ms,9:F4} {gbs,8:F0} {100 * gbs / copyGBs,6:F0}%  {check.Message}");
        return (check.Valid, line, new()
        {
            ["kernel"] = c.Name, ["elements"] = c.Elements, ["ms"] = ms, ["GBs"] = gbs,
            ["pct_of_copy"] = 100 * gbs / copyGBs, ["valid"] = check.Valid, ["check"] = check.Message,
        });
    }

    public (string Line, Dictionary<string, object> Json) RunCudnn(CudnnCase c)
    {
        using var scope = new TensorScope();
        var tensors = c.Setup();
        c.Run(cuda, tensors); // the first call runs cuDNN's Find
        double ms = Median(() => c.Run(cuda, tensors), 1);
        double tflops = c.Flops / (ms * 1e-3) / 1e12;
        double gbs = c.Bytes / (ms * 1e-3) / 1e9;
        var line = string.Create(CultureInfo.InvariantCulture, $"{c.Name,-44} {ms,9:F4} {tflops,8:F1} {gbs,8:F0}");
        return (line, new() { ["op"] = c.Name, ["ms"] = ms, ["TFLOPs"] = tflops, ["GBs"] = gbs });
    }

    /// <summary>Host-side time of an upload until the device has it (the pinned-memory staging and the
    /// copy, and for bytes the widening kernel): wall clock around the call and a synchronize, median.</summary>
    public (string Line, Dictionary<string, object> Json) RunUpload(UploadCase c)
    {
        using var scope = new TensorScope();
        var times = new double[_repeats];
        for (int r = -3; r < _repeats; r++)
        {
            cuda.Synchronize();
            long start = System.Diagnostics.Stopwatch.GetTimestamp();
            using (new TensorScope()) c.Upload();
            cuda.Synchronize();
            if (r >= 0) times[r] = System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }
        Array.Sort(times);
        double ms = times[times.Length / 2];
        double gbs = c.HostBytes / (ms * 1e-3) / 1e9;
        var line = string.Create(CultureInfo.InvariantCulture, $"{c.Name,-44} {ms,9:F4} {c.HostBytes / 1e6,8:F2} {gbs,8:F1}");
        return (line, new() { ["upload"] = c.Name, ["ms"] = ms, ["host_MB"] = c.HostBytes / 1e6, ["GBs"] = gbs });
    }

    /// <summary>The same case on the CPU backend from the same inputs, compared elementwise.</summary>
    private (bool Valid, string Message) Validate(ElementwiseCase c, Tensor[] inputs, Tensor[] outputs)
    {
        var cpuIn = inputs.Select(t => Tensor.FromArray(t.ToFloatArray(), t.Shape)).ToArray();
        var cpuOut = outputs.Select(t => Tensor.FromArray(t.ToFloatArray(), t.Shape)).ToArray();
        // In-place kernels (optimizers) update their inputs: run both sides on copies.
        var gpuIn = inputs.Select(t => t.Clone()).ToArray();
        if (c.RunRaw is not null) c.RunRaw(gpuIn, outputs);
        else c.Run(cuda, gpuIn, outputs);
        try
        {
            c.Run(Backends.Cpu.CpuBackend.Instance, cpuIn, cpuOut);
        }
        catch (NotImplementedException)
        {
            // Pooling and upsampling have no CPU version on main yet; CudaVsCpuTests checks them
            // against float64 loops.
            return (true, "no CPU version (see CudaVsCpuTests)");
        }
        var expected = cpuOut.SelectMany(t => t.ToFloatArray()).Concat(cpuIn.SelectMany(t => t.ToFloatArray())).ToArray();
        var actual = outputs.SelectMany(t => t.ToFloatArray()).Concat(gpuIn.SelectMany(t => t.ToFloatArray())).ToArray();
        int worst = -1;
        double worstExcess = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            if (c.Bitwise ? Bits(expected[i]) == Bits(actual[i]) : expected[i].Equals(actual[i])) continue;
            double excess = c.Bitwise ? double.PositiveInfinity : Math.Abs(actual[i] - expected[i]) - (c.Atol + c.Rtol * Math.Abs(expected[i]));
            if (double.IsNaN(excess) || excess > worstExcess) { worst = i; worstExcess = double.IsNaN(excess) ? double.PositiveInfinity : excess; }
        }
        if (worst < 0) return (true, "ok");
        return (false, c.Bitwise
            ? $"MISMATCH at {worst}: bits 0x{Bits(actual[worst]):X8} vs CPU 0x{Bits(expected[worst]):X8}"
            : string.Create(CultureInfo.InvariantCulture, $"MISMATCH at {worst}: {actual[worst]:G9} vs CPU {expected[worst]:G9}"));
    }

    /// <summary>Median milliseconds of one call of body (which makes `calls` calls), from CUDA events.</summary>
    private double Median(Action body, int calls)
    {
        for (int i = 0; i < 3; i++) body();
        Check(Cuda.cuEventCreate(out var start, CUevent_flags.CU_EVENT_DEFAULT));
        Check(Cuda.cuEventCreate(out var stop, CUevent_flags.CU_EVENT_DEFAULT));
        var times = new double[_repeats];
        for (int r = 0; r < _repeats; r++)
        {
            Check(Cuda.cuEventRecord(start, cuda.Stream));
            body();
            Check(Cuda.cuEventRecord(stop, cuda.Stream));
            Check(Cuda.cuEventSynchronize(stop));
            Check(Cuda.cuEventElapsedTime(out var ms, start, stop));
            times[r] = ms / calls;
        }
        Check(Cuda.cuEventDestroy_v2(start));
        Check(Cuda.cuEventDestroy_v2(stop));
        Array.Sort(times);
        return times[times.Length / 2];
    }

    private Tensor Random(int[] shape, Func<float, float, float>? range)
    {
        var v = new float[Shape.NumEl(shape)];
        for (int i = 0; i < v.Length; i++)
        {
            float u = (float)_rng.NextDouble();
            v[i] = range is null ? 4 * u - 2 : range(u, (float)_rng.NextDouble());
        }
        return Tensor.FromArray(v, shape, Device.Cuda);
    }

    public static CUdeviceptr Pointer(Tensor t) => ((CudaStorage)t.Storage).Pointer.Offset((long)t.Offset * sizeof(float));

    private static uint Bits(float value) => BitConverter.SingleToUInt32Bits(value);

    private static void Check(CUresult status) => Cuda.Check(status);
}
