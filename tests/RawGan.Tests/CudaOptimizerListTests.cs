using RawGan.Backends;
using RawGan.Backends.Cuda;
using RawGan.Backends.Cuda.Kernels;
using RawGan.Optim;

namespace RawGan.Tests;

/// <summary>
/// The multi-tensor optimizer kernels (one launch per list of parameters) on a DCGAN-like parameter
/// list: against the CPU reference (rtol 1e-6, bit-identical expected, as the other optimizer tests),
/// Adam against the per-tensor kernel it replaces bit for bit, and whole optimizer steps replayed from
/// a CUDA graph against eager ones bit for bit. Every test skips where the CUDA backend cannot start.
/// </summary>
[Collection(nameof(CudaGpu))]
public class CudaOptimizerListTests
{
    private readonly int _seed = Random.Shared.Next();
    private readonly Random _rng;

    public CudaOptimizerListTests() => _rng = new Random(_seed);

    /// <summary>DCGAN-like sizes (conv weights, BatchNorm vectors), sizes that are not a multiple of 4, a
    /// tensor over two chunks of 4096, an empty one, and 235 small ones after them, so that the list
    /// takes three launches of at most <see cref="TensorList.Capacity"/> tensors.</summary>
    private static readonly int[] Sizes =
        [3 * 64 * 16, 64, 64, 64 * 128 * 16, 128, 128, 128 * 256 * 16, 256, 256, 1, 3, 5, 4097, 8193, 0, .. Enumerable.Range(0, 235).Select(i => 1 + i % 9 * 37)];

    [Fact]
    public void AdamList_MatchesCpu_AndThePerTensorKernel()
    {
        var cuda = CudaGpu.Require();
        var (param, grads) = Draw();
        var cpu = Run(Device.Cpu, 2, param, grads, AdamList);
        var list = Run(Device.Cuda, 2, param, grads, AdamList);
        var perTensor = Run(Device.Cuda, 2, param, grads, (b, p, g, s, step) =>
        {
            for (int k = 0; k < p.Length; k++)
                OptimizerKernels.LaunchAdamV1(cuda.Kernels, CudaBackend.Ptr(p[k]), CudaBackend.Ptr(g[k]), CudaBackend.Ptr(s[k][0]), CudaBackend.Ptr(s[k][1]),
                    2e-4, 0.5, 0.999, 1e-8, 1e-2, step, p[k].NumEl);
        });
        for (int k = 0; k < cpu.Length; k++)
        {
            Close($"adam list, tensor {k % Sizes.Length} [{Sizes[k % Sizes.Length]}] (params, then m, then v)", cpu[k], list[k]);
            SameBits($"adam list against the per-tensor kernel, tensor {k % Sizes.Length} [{Sizes[k % Sizes.Length]}]", perTensor[k], list[k]);
        }

        static void AdamList(IBackend b, Tensor[] p, Tensor[] g, Tensor[][] s, int step) =>
            b.AdamStep([.. p.Select((x, k) => new AdamTensors(x, g[k], s[k][0], s[k][1]))], 2e-4, 0.5, 0.999, 1e-8, 1e-2, step);
    }

    [Fact]
    public void SgdAndRmsPropLists_MatchCpu()
    {
        CudaGpu.Require();
        var (param, grads) = Draw();
        // At step 2 every third buffer is fresh again (as after momentum was turned on): a mixed list, two launches.
        Compare("sgd list", 1, (b, p, g, s, step) =>
            b.SgdStep([.. p.Select((x, k) => new SgdTensors(x, g[k], s[k][0], step == 1 || (step == 2 && k % 3 == 0)))], 0.01, 0.9, 1e-4));
        Compare("plain sgd list", 0, (b, p, g, s, step) =>
            b.SgdStep([.. p.Select((x, k) => new SgdTensors(x, g[k], null, FirstStep: false))], 0.01, 0, 0));
        Compare("rmsprop list", 1, (b, p, g, s, step) =>
            b.RmsPropStep([.. p.Select((x, k) => new RmsPropTensors(x, g[k], s[k][0]))], 5e-5, 0.99, 1e-8, 1e-4));

        void Compare(string name, int states, StepList step)
        {
            var cpu = Run(Device.Cpu, states, param, grads, step);
            var cuda = Run(Device.Cuda, states, param, grads, step);
            for (int k = 0; k < cpu.Length; k++) Close($"{name}, tensor {k % Sizes.Length} [{Sizes[k % Sizes.Length]}]", cpu[k], cuda[k]);
        }
    }

    [Theory]
    [InlineData("adam")]
    [InlineData("sgd")]
    [InlineData("rmsprop")]
    public void CapturedOptimizerSteps_ReplayAsEagerSteps(string algorithm)
    {
        CudaGpu.Require();
        // The last parameter has no gradient at step 1, so the captured step 3 updates two groups (step
        // counts 3 and 2, two cells); lr halves before the last replay, as a schedule would.
        int[] sizes = Sizes[..14];
        var values = sizes.Select(n => Values(n)).ToArray();
        var grads = Enumerable.Range(0, 5).Select(_ => sizes.Select(n => Values(n)).ToArray()).ToArray();
        var (cpu, eager, graphed) = (Params(Device.Cpu), Params(Device.Cuda), Params(Device.Cuda));
        using var cpuOptimizer = Create(cpu);
        using var eagerOptimizer = Create(eager);
        using var graphedOptimizer = Create(graphed);

        CudaStepGraph? graph = null;
        try
        {
            for (int step = 1; step <= 5; step++)
            {
                if (step == 5)
                    foreach (var o in new[] { cpuOptimizer, eagerOptimizer, graphedOptimizer }) o.LearningRate *= 0.5;
                SetGrads(cpu, step);
                SetGrads(eager, step);
                cpuOptimizer.Step();
                eagerOptimizer.Step();
                if (step < 3)
                {
                    SetGrads(graphed, step);
                    graphedOptimizer.Step();
                    continue;
                }
                // The graph reads the gradients' storage: later steps copy their values into it.
                if (step == 3) SetGrads(graphed, step);
                else for (int k = 0; k < sizes.Length; k++) graphed[k].Grad!.CopyFrom(Tensor.FromArray(grads[step - 1][k], [sizes[k]]));
                graph ??= CudaStepGraph.Capture(() => { graphedOptimizer.Step(); return []; });
                graph.Replay();
            }
        }
        finally
        {
            graph?.Dispose();
        }

        var (c, e, g) = (Snapshot(cpu, cpuOptimizer), Snapshot(eager, eagerOptimizer), Snapshot(graphed, graphedOptimizer));
        foreach (var key in c.Keys)
        {
            Close($"{algorithm} after 5 steps: {key}, eager CUDA against the CPU", c[key], e[key]);
            SameBits($"{algorithm} after 5 steps: {key}, graph against eager", e[key], g[key]);
        }
        Assert.Equal(eagerOptimizer.StateDict().Scalars, graphedOptimizer.StateDict().Scalars);

        Tensor[] Params(Device d) => [.. values.Select(v =>
        {
            var p = Tensor.FromArray(v, [v.Length], d);
            p.RequiresGrad = true;
            return p;
        })];

        void SetGrads(Tensor[] ps, int step)
        {
            for (int k = 0; k < ps.Length; k++)
                ps[k].Grad = step == 1 && k == ps.Length - 1 ? null : Tensor.FromArray(grads[step - 1][k], [sizes[k]], ps[k].Device);
        }

        Optimizer Create(Tensor[] ps) => algorithm switch
        {
            "adam" => new Adam(ps, lr: 2e-4, beta1: 0.5, weightDecay: 1e-2),
            "sgd" => new SGD(ps, lr: 0.01, momentum: 0.9, weightDecay: 1e-4),
            _ => new RMSprop(ps, lr: 5e-5, alpha: 0.99, weightDecay: 1e-4),
        };
    }

    // ---- helpers ----

    private delegate void StepList(IBackend backend, Tensor[] param, Tensor[] grad, Tensor[][] state, int step);

    private (float[][] Param, float[][][] Grads) Draw() =>
        ([.. Sizes.Select(n => Values(n))], [.. Enumerable.Range(0, 3).Select(_ => Sizes.Select(n => Values(n)).ToArray())]);

    /// <summary>Three steps of one list update on a device; returns every parameter, then each state in turn.</summary>
    private static float[][] Run(Device d, int states, float[][] param, float[][][] grads, StepList step)
    {
        var p = param.Select((v, k) => Place(v, k, d)).ToArray();
        var s = param.Select(v => Enumerable.Range(0, states).Select(_ => Tensor.Zeros([v.Length], DType.Float32, d)).ToArray()).ToArray();
        for (int t = 1; t <= 3; t++)
            step(p[0].Backend, p, [.. grads[t - 1].Select((v, k) => Place(v, k, d))], s, t);
        return [.. p.Select(x => x.ToFloatArray()), .. Enumerable.Range(0, states).SelectMany(i => s.Select(x => x[i].ToFloatArray()))];
    }

    /// <summary>Odd-numbered tensors start one element into their buffer, so their arrays are not 16-byte
    /// aligned and the kernels take their scalar path for them.</summary>
    private static Tensor Place(float[] values, int k, Device d) => k % 2 == 1
        ? Tensor.FromArray([0f, .. values], [values.Length + 1], d).Slice(0, 1, values.Length + 1)
        : Tensor.FromArray(values, [values.Length], d);

    private static Dictionary<string, float[]> Snapshot(Tensor[] ps, Optimizer optimizer)
    {
        var result = ps.Select((p, k) => ($"param {k}", p.ToFloatArray())).ToDictionary();
        foreach (var (name, t) in optimizer.StateDict().Tensors) result[name] = t.ToFloatArray();
        return result;
    }

    private float[] Values(int n)
    {
        var v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float)(4 * _rng.NextDouble() - 2);
        return v;
    }

    private void Close(string what, float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double e = expected[i], a = actual[i];
            if (!e.Equals(a) && !(Math.Abs(a - e) <= 1e-7 + 1e-6 * Math.Abs(e)))
                Assert.Fail($"{what}: element {i} of {expected.Length} is {a:G9} on CUDA, {e:G9} on the CPU (seed {_seed})");
        }
    }

    private void SameBits(string what, float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
                Assert.Fail($"{what}: element {i} of {expected.Length} is {actual[i]:G9}, expected {expected[i]:G9} (seed {_seed})");
    }
}
