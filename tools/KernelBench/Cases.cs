using System.Runtime.InteropServices;
using RawGan.Backends;
using RawGan.Backends.Cuda;
using RawGan.Backends.Cuda.Kernels;

namespace RawGan.KernelBench;

/// <summary>What is benchmarked. Each elementwise case runs through the IBackend method the
/// training code calls (so the CPU backend validates it), except the superseded _v1 kernels,
/// launched raw beside the version that replaced them (v1 Adam: one launch per tensor of a list),
/// and the bf16 casts, which no IBackend method has: launched raw, checked against BFloat16 on
/// the host.</summary>
internal static class Cases
{
    private const long F = sizeof(float);

    public static IEnumerable<ElementwiseCase> Elementwise(int n)
    {
        int[] v = [n];
        int[][] one = [v], two = [v, v], three = [v, v, v];
        Func<float, float, float> probability = (u, _) => 0.001f + 0.998f * u;

        yield return new("fill", n, [], one, n * F, (b, i, o) => b.Fill(o[0], 0.5));
        yield return new("add", n, two, one, 3 * n * F, (b, i, o) => b.Binary(BinaryOp.Add, o[0], i[0], i[1]));
        yield return new("mul (row broadcast, strided)", n, [v, [512]], one, 2 * n * F,
            (b, i, o) => b.Binary(BinaryOp.Mul, o[0].Reshape(-1, 512), i[0].Reshape(-1, 512), i[1].Expand(n / 512, 512)));
        yield return new("copy (transpose, strided)", n, one, one, 2 * n * F,
            (b, i, o) => b.Copy(o[0].Reshape(512, -1), i[0].Reshape(-1, 512).Transpose(0, 1)));
        yield return new("exp", n, one, one, 2 * n * F, (b, i, o) => b.Unary(UnaryOp.Exp, o[0], i[0]));
        yield return new("mul_scalar", n, one, one, 2 * n * F, (b, i, o) => b.Scalar(ScalarOp.Mul, o[0], i[0], 0.5));
        yield return new("relu_forward", n, one, one, 2 * n * F, (b, i, o) => b.ReluForward(o[0], i[0]));
        yield return new("leaky_relu_forward_v1 (scalar)", n, one, one, 2 * n * F, (b, i, o) => b.LeakyReluForward(o[0], i[0], 0.2),
            RunRaw: (i, o) => Raw(ActivationKernels.LeakyReluForwardV1, o[0], i[0], 0.2f, n));
        yield return new("leaky_relu_forward (float4)", n, one, one, 2 * n * F, (b, i, o) => b.LeakyReluForward(o[0], i[0], 0.2));
        yield return new("leaky_relu_backward", n, two, one, 3 * n * F, (b, i, o) => b.LeakyReluBackward(o[0], i[0], i[1], 0.2));
        yield return new("elu_forward", n, one, one, 2 * n * F, (b, i, o) => b.EluForward(o[0], i[0], 1.0));
        yield return new("tanh_forward", n, one, one, 2 * n * F, (b, i, o) => b.TanhForward(o[0], i[0]));
        yield return new("sigmoid_forward", n, one, one, 2 * n * F, (b, i, o) => b.SigmoidForward(o[0], i[0]));
        yield return new("softplus_forward", n, one, one, 2 * n * F, (b, i, o) => b.SoftplusForward(o[0], i[0]));
        yield return new("bce_forward", n, [v, v], one, 3 * n * F, (b, i, o) => b.BceForward(o[0], i[0], i[1]), InputRange: probability);
        yield return new("bce_with_logits_forward", n, two, one, 3 * n * F, (b, i, o) => b.BceWithLogitsForward(o[0], i[0], i[1]));
        yield return new("bce_with_logits_backward", n, [[1], v, v], one, 3 * n * F, (b, i, o) => b.BceWithLogitsBackward(o[0], i[0], i[1], i[2], 1.0 / n));
        yield return new("mse_backward", n, [[1], v, v], one, 3 * n * F, (b, i, o) => b.MseBackward(o[0], i[0], i[1], i[2], 1.0 / n));
        yield return new("sum_rows_v1 (thread per row)", n, one, [[n / 4096]], n * F, (b, i, o) => b.Sum(o[0], i[0], n / 4096, 4096, 1),
            Rtol: 1e-4, Atol: 1e-3, RunRaw: (i, o) => SumRowsV1(o[0], i[0], n / 4096, 4096));
        yield return new("sum rows [n/4096, 4096, 1]", n, one, [[n / 4096]], n * F, (b, i, o) => b.Sum(o[0], i[0], n / 4096, 4096, 1), Rtol: 1e-4, Atol: 1e-3);
        yield return new("sum all [1, n, 1]", n, one, [[1]], n * F, (b, i, o) => b.Sum(o[0], i[0], 1, n, 1), Rtol: 1e-4, Atol: 1e-2);
        yield return new("sum cols [1, n/512, 512]", n, one, [[512]], n * F, (b, i, o) => b.Sum(o[0], i[0], 1, n / 512, 512), Rtol: 1e-4, Atol: 1e-2);
        yield return new("random_uniform", n, [], one, n * F, (b, i, o) => b.RandomUniform(o[0], 7, 0, -1, 1), Rtol: 0, Atol: 0);
        yield return new("random_normal", n, [], one, n * F, (b, i, o) => b.RandomNormal(o[0], 7, 0, 0, 1), Rtol: 4e-6, Atol: 1e-6);
        yield return new("dropout_mask", n, [], one, n * F, (b, i, o) => b.DropoutMask(o[0], 7, 0, 0.5), Rtol: 0, Atol: 0);
        yield return new("adam_step", n, [v, v, v, [n]], [], 7 * n * F, (b, i, o) => b.AdamStep([new(i[0], i[1], i[2], i[3])], 2e-4, 0.5, 0.999, 1e-8, 0, 3),
            Rtol: 1e-6, Atol: 1e-7, InputRange: (u, w) => u);
        yield return new("sgd_step (momentum)", n, three, [], 5 * n * F, (b, i, o) => b.SgdStep([new(i[0], i[1], i[2], FirstStep: false)], 0.01, 0.9, 0), Rtol: 1e-6, Atol: 1e-7);
        yield return new("rmsprop_step", n, three, [], 5 * n * F, (b, i, o) => b.RmsPropStep([new(i[0], i[1], i[2])], 5e-5, 0.99, 1e-8, 0),
            Rtol: 1e-6, Atol: 1e-7, InputRange: (u, w) => u);
        int planes = n / (64 * 64);
        yield return new("max_pool2d_forward 2x2", n, [[planes, 1, 64, 64]], [[planes, 1, 32, 32]], n * F * 5 / 4,
            (b, i, o) => b.MaxPool2dForward(o[0], i[0], new Pool2dArgs(2, 2, 2, 2)));
        yield return new("max_pool2d_backward_v1 2x2 (gather)", n, [[planes, 1, 32, 32], [planes, 1, 64, 64]], [[planes, 1, 64, 64]], n * F * 9 / 4,
            (b, i, o) => b.MaxPool2dBackward(o[0], i[0], i[1], new Pool2dArgs(2, 2, 2, 2)),
            RunRaw: (i, o) => PoolingKernels.LaunchMaxBackwardGather(CudaBackend.Instance.Kernels, Bench.Pointer(o[0]), Bench.Pointer(i[0]), Bench.Pointer(i[1]),
                Pool2dGeometry.Of(i[1], i[0], new Pool2dArgs(2, 2, 2, 2))));
        yield return new("max_pool2d_backward 2x2 (tiled)", n, [[planes, 1, 32, 32], [planes, 1, 64, 64]], [[planes, 1, 64, 64]], n * F * 9 / 4,
            (b, i, o) => b.MaxPool2dBackward(o[0], i[0], i[1], new Pool2dArgs(2, 2, 2, 2)));
        yield return new("avg_pool2d_forward 3x3 s1 p1", n, [[planes, 1, 64, 64]], [[planes, 1, 64, 64]], 2 * n * F,
            (b, i, o) => b.AvgPool2dForward(o[0], i[0], new Pool2dArgs(3, 3, 1, 1, 1, 1)));
        yield return new("upsample_nearest_forward_v1 x2 (thread per output)", n, [[planes, 1, 32, 32]], [[planes, 1, 64, 64]], n * F * 5 / 4,
            (b, i, o) => b.UpsampleNearestForward(o[0], i[0], 2),
            RunRaw: (i, o) => PoolingKernels.LaunchUpsampleForwardV1(CudaBackend.Instance.Kernels, Bench.Pointer(o[0]), Bench.Pointer(i[0]), planes, 32, 32, 2));
        yield return new("upsample_nearest_forward x2 (thread per input)", n, [[planes, 1, 32, 32]], [[planes, 1, 64, 64]], n * F * 5 / 4,
            (b, i, o) => b.UpsampleNearestForward(o[0], i[0], 2));
        yield return new("upsample_nearest_backward x2", n, [[planes, 1, 64, 64]], [[planes, 1, 32, 32]], n * F * 5 / 4,
            (b, i, o) => b.UpsampleNearestBackward(o[0], i[0], 2));
    }

    /// <summary>Adam over a generator's whole parameter list (pytorch/examples' DCGAN: transposed-conv
    /// weights and BatchNorm pairs), one launch per tensor (the superseded v1 kernel) against one
    /// multi-tensor launch: at 64x64 (nz 100, ngf 64; 3.6M elements) and at the CPU preset's 32x32
    /// (nz 64, ngf 32; 0.3M), where launches dominate. Inputs: param, grad, m, v of each tensor.</summary>
    public static IEnumerable<ElementwiseCase> AdamLists()
    {
        foreach (var (model, shapes) in new (string, int[][])[]
        {
            ("DCGAN-64 G", [[100, 512, 4, 4], [512], [512], [512, 256, 4, 4], [256], [256], [256, 128, 4, 4], [128], [128], [128, 64, 4, 4], [64], [64], [64, 3, 4, 4]]),
            ("DCGAN-32 G ngf 32", [[64, 128, 4, 4], [128], [128], [128, 64, 4, 4], [64], [64], [64, 32, 4, 4], [32], [32], [32, 3, 4, 4]]),
        })
        {
            int n = shapes.Sum(s => Shape.NumEl(s));
            int[][] inputs = [.. shapes.SelectMany(s => new[] { s, s, s, s })];
            yield return new($"adam_step_v1 {model} ({shapes.Length} launches)", n, inputs, [], 7 * n * F, AdamList,
                Rtol: 1e-6, Atol: 1e-7, InputRange: (u, w) => u, RunRaw: (i, o) =>
                {
                    for (int t = 0; t < i.Length; t += 4)
                        OptimizerKernels.LaunchAdamV1(CudaBackend.Instance.Kernels, Bench.Pointer(i[t]), Bench.Pointer(i[t + 1]), Bench.Pointer(i[t + 2]), Bench.Pointer(i[t + 3]),
                            2e-4, 0.5, 0.999, 1e-8, 0, 3, i[t].NumEl);
                });
            yield return new($"adam_step {model} (one launch)", n, inputs, [], 7 * n * F, AdamList, Rtol: 1e-6, Atol: 1e-7, InputRange: (u, w) => u);
        }

        static void AdamList(IBackend b, Tensor[] i, Tensor[] o) =>
            b.AdamStep([.. i.Chunk(4).Select(t => new AdamTensors(t[0], t[1], t[2], t[3]))], 2e-4, 0.5, 0.999, 1e-8, 0, 3);
    }

    /// <summary>The casts around a bf16 convolution: plain at 16M elements, with the layout change
    /// at a DCGAN activation [128, 64, 32, 32]. A bf16 buffer rides in a float32 tensor of half the
    /// count (the CUDA backend stores float32 only) and is compared bit for bit.</summary>
    public static IEnumerable<ElementwiseCase> Bfloat16()
    {
        yield return Bf16("f32_to_bf16", 1, 1, 1 << 24, nhwc: false, toBf16: true);
        yield return Bf16("bf16_to_f32", 1, 1, 1 << 24, nhwc: false, toBf16: false);
        yield return Bf16("nchw_f32_to_nhwc_bf16 128x64x32x32", 128, 64, 32 * 32, nhwc: true, toBf16: true);
        yield return Bf16("nhwc_bf16_to_nchw_f32 128x64x32x32", 128, 64, 32 * 32, nhwc: true, toBf16: false);
    }

    /// <summary>One cast of n c hw elements (an even count); its CPU side is the host loop of
    /// BFloat16, written to the output through the backend's host copy.</summary>
    private static ElementwiseCase Bf16(string name, int n, int c, int hw, bool nhwc, bool toBf16)
    {
        int count = n * c * hw;
        int[] floats = [count], pairs = [count / 2];
        long bytes = count * (F + sizeof(ushort));
        if (toBf16)
            return new(name, count, [floats], [pairs], bytes,
                (b, i, o) => b.CopyFromHost(o[0], MemoryMarshal.AsBytes(ToBf16(i[0].ToFloatArray(), c, hw, nhwc).AsSpan())),
                RunRaw: (i, o) => Bf16Kernels.LaunchToBf16(CudaBackend.Instance.Kernels, Bench.Pointer(o[0]), Bench.Pointer(i[0]), n, c, hw, nhwc),
                Bitwise: true);
        return new(name, count, [pairs], [floats], bytes,
            (b, i, o) => b.CopyFromHost(o[0], MemoryMarshal.AsBytes(FromBf16(MemoryMarshal.Cast<float, ushort>(i[0].ToFloatArray()), c, hw, nhwc).AsSpan())),
            RunRaw: (i, o) => Bf16Kernels.LaunchFromBf16(CudaBackend.Instance.Kernels, Bench.Pointer(o[0]), Bench.Pointer(i[0]), n, c, hw, nhwc),
            InputRange: (u, w) => BitConverter.UInt32BitsToSingle((uint)BFloat16.ToBits(4 * w - 2) << 16 | BFloat16.ToBits(4 * u - 2)), // two activations
            Bitwise: true);
    }

    private static ushort[] ToBf16(float[] x, int c, int hw, bool nhwc)
    {
        var y = new ushort[x.Length];
        for (int i = 0; i < x.Length; i++) y[nhwc ? Nhwc(i, c, hw) : i] = BFloat16.ToBits(x[i]);
        return y;
    }

    private static float[] FromBf16(ReadOnlySpan<ushort> x, int c, int hw, bool nhwc)
    {
        var y = new float[x.Length];
        for (int i = 0; i < y.Length; i++) y[i] = BFloat16.FromBits(x[nhwc ? Nhwc(i, c, hw) : i]);
        return y;
    }

    /// <summary>Where element i of an NCHW [., c, hw] array sits in its NHWC twin.</summary>
    private static int Nhwc(int i, int c, int hw)
    {
        int image = i / (c * hw), channel = i / hw % c, pixel = i % hw;
        return (image * hw + pixel) * c + channel;
    }

    /// <summary>The discriminator of DCGAN at 64x64, batch 128: each conv layer's three calls,
    /// and batch norm at the activations it normalises.</summary>
    public static IEnumerable<CudnnCase> Dcgan()
    {
        const int batch = 128;
        (int C, int H, int K)[] layers = [(3, 64, 64), (64, 32, 128), (128, 16, 256), (256, 8, 512)];
        var args = new Conv2dArgs(2, 2, 1, 1);
        foreach (var (c, h, k) in layers)
        {
            int oh = h / 2;
            int[] x = [batch, c, h, h], w = [k, c, 4, 4], y = [batch, k, oh, oh];
            double flops = 2.0 * batch * k * oh * oh * c * 16;
            long bytes = (Shape.NumEl(x) + Shape.NumEl(w) + Shape.NumEl(y)) * F;
            string shape = $"{c}->{k} {h}x{h}";
            yield return new($"conv forward {shape}", flops, bytes, () => [Zeros(y), Randn(x), Randn(w)], (b, t) => b.Conv2dForward(t[0], t[1], t[2], args));
            yield return new($"conv backward data {shape}", flops, bytes, () => [Zeros(x), Randn(y), Randn(w)], (b, t) => b.Conv2dBackwardData(t[0], t[1], t[2], args));
            yield return new($"conv backward filter {shape}", flops, bytes, () => [Zeros(w), Randn(y), Randn(x)], (b, t) => b.Conv2dBackwardFilter(t[0], t[1], t[2], args));
            if (c == 3) continue;
            int[] a = [batch, c, h, h];
            yield return new($"batch norm forward {c}x{h}x{h}", 0, 2 * Shape.NumEl(a) * F,
                () => [Zeros(a), Zeros([c]), Zeros([c]), Randn(a), Ones([c]), Zeros([c]), Zeros([c]), Ones([c])],
                (b, t) => b.BatchNormForwardTraining(t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7], 0.1, 1e-5));
            yield return new($"batch norm backward {c}x{h}x{h}", 0, 3 * Shape.NumEl(a) * F,
                () => Backward(a, c),
                (b, t) => b.BatchNormBackward(t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7]));
            // The discriminator's batch norm + LeakyReLU(0.2) pair, unfused (cuDNN, then our kernel;
            // the backward also runs the activation's) against fused (kernels/batch_norm_leaky_relu.cu).
            // Bytes: the fused op's minimum traffic, so both rows' GB/s compare the same work.
            long fusedForward = 3 * Shape.NumEl(a) * F, fusedBackward = 5 * Shape.NumEl(a) * F;
            yield return new($"bn + leaky relu forward, cuDNN + ours {c}x{h}x{h}", 0, fusedForward,
                () => [Zeros(a), Zeros([c]), Zeros([c]), Randn(a), Ones([c]), Zeros([c]), Zeros([c]), Ones([c]), Zeros(a)],
                (b, t) =>
                {
                    b.BatchNormForwardTraining(t[8], t[1], t[2], t[3], t[4], t[5], t[6], t[7], 0.1, 1e-5);
                    b.LeakyReluForward(t[0], t[8], 0.2);
                });
            yield return new($"bn + leaky relu forward, fused {c}x{h}x{h}", 0, fusedForward,
                () => [Zeros(a), Zeros([c]), Zeros([c]), Randn(a), Ones([c]), Zeros([c]), Zeros([c]), Ones([c])],
                (b, t) => b.BatchNormLeakyReluForwardTraining(t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7], 0.1, 1e-5, 0.2));
            yield return new($"bn + leaky relu backward, cuDNN + ours {c}x{h}x{h}", 0, fusedBackward,
                () => [.. Backward(a, c), Zeros(a), Randn(a)],
                (b, t) =>
                {
                    b.LeakyReluBackward(t[8], t[3], t[9], 0.2);
                    b.BatchNormBackward(t[0], t[1], t[2], t[8], t[4], t[5], t[6], t[7]);
                });
            yield return new($"bn + leaky relu backward, fused {c}x{h}x{h}", 0, fusedBackward,
                () => [.. Backward(a, c), Zeros([c])],
                (b, t) => b.BatchNormLeakyReluBackward(t[0], t[1], t[2], t[3], t[4], t[5], t[8], t[6], t[7], 0.2));
        }
    }

    /// <summary>BEGAN-64 at batch 16: each conv's bias add and ELU, unfused (a broadcast add in place, then
    /// elu; elu's backward, then the bias gradient's sum) against fused (kernels/bias_activation.cu).
    /// Bytes: the fused op's traffic, so both rows' GB/s compare the same work.</summary>
    public static IEnumerable<CudnnCase> Began()
    {
        foreach (var (c, h) in new[] { (64, 64), (128, 32), (192, 16) })
        {
            int[] a = [16, c, h, h];
            long n = Shape.NumEl(a);
            string shape = $"{c}x{h}x{h}";
            yield return new($"bias + elu forward, add + ours {shape}", 0, 2 * n * F,
                () => [Zeros(a), Randn(a), Randn([c])],
                (b, t) =>
                {
                    b.Binary(BinaryOp.Add, t[1], t[1], t[2].Reshape(1, c, 1, 1).Expand(a));
                    b.EluForward(t[0], t[1], 1.0);
                });
            yield return new($"bias + elu forward, fused {shape}", 0, 2 * n * F,
                () => [Zeros(a), Randn(a), Randn([c])],
                (b, t) => b.BiasActivationForward(t[0], t[1], t[2], FusedActivation.Elu, 1.0));
            yield return new($"bias + elu backward, ours + sum {shape}", 0, 3 * n * F,
                () => [Zeros(a), Randn(a), Randn(a)],
                (b, t) =>
                {
                    b.EluBackward(t[0], t[1], t[2], 1.0);
                    RawGan.F.Sum(t[0], [0, 2, 3]).Dispose(); // conv2d's bias gradient, as the unfused backward takes it
                });
            yield return new($"bias + elu backward, fused {shape}", 0, 3 * n * F,
                () => [Zeros(a), Zeros([c]), Randn(a), Randn(a), Randn([c])],
                (b, t) => b.BiasActivationBackward(t[0], t[1], t[2], t[3], t[4], FusedActivation.Elu, 1.0));
        }
    }

    /// <summary>A training batch (DCGAN-64, 128 images) reaching the GPU as the trainer sends it
    /// (Batch.ToTensor: bytes, widened on the device) and as floats converted on the host.</summary>
    public static IEnumerable<UploadCase> Uploads()
    {
        int[] shape = [128, 3, 64, 64];
        int n = Shape.NumEl(shape);
        var pixels = new byte[n];
        new Random(3).NextBytes(pixels);
        var values = Enumerable.Range(0, 256).Select(b => b / 127.5f - 1f).ToArray();
        var floats = pixels.Select(b => values[b]).ToArray();
        yield return new("batch 128x3x64x64 as float32", n * F, () => Tensor.FromArray(floats, shape, Device.Cuda));
        yield return new("batch 128x3x64x64 as uint8, widened on GPU", n, () => Tensor.FromUInt8(pixels, shape, values, Device.Cuda));
    }

    private static Tensor[] Backward(int[] a, int c)
    {
        var x = Randn(a);
        var mean = Zeros([c]);
        var invStd = Zeros([c]);
        CudaBackend.Instance.BatchNormForwardTraining(Zeros(a), mean, invStd, x, Ones([c]), Zeros([c]), null, null, 0.1, 1e-5);
        return [Zeros(a), Zeros([c]), Zeros([c]), Randn(a), x, Ones([c]), mean, invStd];
    }

    private static readonly Generator Noise = new(99);
    private static Tensor Zeros(int[] s) => Tensor.Zeros(s, DType.Float32, Device.Cuda);
    private static Tensor Ones(int[] s) => Tensor.Ones(s, DType.Float32, Device.Cuda);
    private static Tensor Randn(int[] s) => Tensor.Randn(s, Noise, device: Device.Cuda);

    private static void Raw(KernelRef k, Tensor y, Tensor x, float p, int n)
    {
        var lib = CudaBackend.Instance.Kernels;
        lib.Launch(k, lib.GridFor(n), new Dim3(KernelLibrary.BlockSize), Bench.Pointer(y), Bench.Pointer(x), p, n);
    }

    private static void SumRowsV1(Tensor y, Tensor x, int rows, int n)
    {
        var lib = CudaBackend.Instance.Kernels;
        lib.Launch(SumKernels.RowsV1, lib.GridFor(rows), new Dim3(KernelLibrary.BlockSize), Bench.Pointer(y), Bench.Pointer(x), rows, n);
    }
}
