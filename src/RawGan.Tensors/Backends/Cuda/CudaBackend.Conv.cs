using RawGan.Backends.Cuda.Interop;

namespace RawGan.Backends.Cuda;

// Convolutions through cuDNN: NCHW float32 tensors, cross-correlation (PyTorch's conv2d), groups.
// The first call for a shape runs cuDNN's Find (every algorithm, timed) for that direction and keeps
// the fastest, with its workspace size; descriptors and choices are cached per shape and precision.
// Strict float32 uses CUDNN_FMA_MATH: CUDNN_DEFAULT_MATH would let Ampere and newer round to TF32.
//
// Bf16 (ProductPrecision): cuDNN computes on bfloat16 copies of the operands, accumulating in
// float32, and writes a bfloat16 output that is widened into the float32 tensor (kernels/bf16.cu).
// The copies may be NCHW or NHWC: Find times both layouts and each direction keeps the faster, so
// tensor-core kernels that want NHWC get it without the rest of the engine changing layout; the
// transpose costs nothing extra, as it is done by the conversion that has to run anyway.
public sealed partial class CudaBackend
{
    private readonly Lock _cudnnGate = new();
    private cudnnHandle_t? _cudnn;
    private readonly Dictionary<ConvKey, ConvPlan> _convPlans = [];

    private cudnnHandle_t CudnnHandle
    {
        get
        {
            lock (_cudnnGate)
            {
                if (_cudnn is { } handle) return handle;
                Cudnn.Check(Cudnn.cudnnCreate(out handle));
                Cudnn.Check(Cudnn.cudnnSetStream(handle, Stream));
                _cudnn = handle;
                return handle;
            }
        }
    }

    /// <summary>Everything that decides a convolution's descriptors and algorithms.</summary>
    private readonly record struct ConvKey(int N, int C, int H, int W, int K, int KH, int KW, int OH, int OW, Conv2dArgs Args, ProductPrecision Precision);

    /// <summary>cuDNN's descriptors of one convolution in one data type and layout.</summary>
    private sealed class ConvDescriptors
    {
        public cudnnTensorDescriptor_t X, Y;
        public cudnnFilterDescriptor_t W;
        public cudnnConvolutionDescriptor_t Conv;
        /// <summary>cuDNN reads and writes bfloat16 copies (else the float32 tensors themselves).</summary>
        public bool Bf16;
        public bool Nhwc;
    }

    /// <summary>A direction's choice: the layout, the algorithm and its workspace bytes; Name labels
    /// its calls in a profile.</summary>
    private readonly record struct ConvChoice<TAlgo>(ConvDescriptors D, TAlgo Algo, nuint Workspace, string Name);

    /// <summary>The descriptors of one convolution shape (one per layout Find may choose from) and
    /// the choice made per direction.</summary>
    private sealed class ConvPlan
    {
        public required ProductPrecision Precision;
        public required ConvDescriptors[] Layouts;
        /// <summary>The shapes, for profiles: "x NxCxHxW, w KxCxKHxKW".</summary>
        public required string Shapes;
        public ConvChoice<cudnnConvolutionFwdAlgo_t>? Forward;
        public ConvChoice<cudnnConvolutionBwdDataAlgo_t>? BackwardData;
        public ConvChoice<cudnnConvolutionBwdFilterAlgo_t>? BackwardFilter;
    }

    public unsafe void Conv2dForward(Tensor y, Tensor x, Tensor w, Conv2dArgs args)
    {
        Enter();
        var plan = Plan("Conv2dForward", x, w, y, args);
        var handle = CudnnHandle;
        var (d, algo, bytes, name) = plan.Forward ??= FindForward(handle, plan);
        using var operands = new ProductOperands(this, d.Bf16, d.Nhwc);
        var (xp, wp, yp) = (operands.In(x), operands.In(w), operands.Out(y));
        float one = 1, zero = 0;
        using (Profiler.Time(name))
            Cudnn.Check(Cudnn.cudnnConvolutionForward(handle, &one, d.X, xp, d.W, wp,
                d.Conv, algo, operands.Workspace(bytes), bytes, &zero, d.Y, yp));
        operands.WriteOutputs();
    }

    public unsafe void Conv2dBackwardData(Tensor dx, Tensor dy, Tensor w, Conv2dArgs args)
    {
        Enter();
        var plan = Plan("Conv2dBackwardData", dx, w, dy, args);
        var handle = CudnnHandle;
        var (d, algo, bytes, name) = plan.BackwardData ??= FindBackwardData(handle, plan);
        using var operands = new ProductOperands(this, d.Bf16, d.Nhwc);
        var (wp, dyp, dxp) = (operands.In(w), operands.In(dy), operands.Out(dx));
        float one = 1, zero = 0;
        using (Profiler.Time(name))
            Cudnn.Check(Cudnn.cudnnConvolutionBackwardData(handle, &one, d.W, wp, d.Y, dyp,
                d.Conv, algo, operands.Workspace(bytes), bytes, &zero, d.X, dxp));
        operands.WriteOutputs();
    }

    public unsafe void Conv2dBackwardFilter(Tensor dw, Tensor dy, Tensor x, Conv2dArgs args)
    {
        Enter();
        var plan = Plan("Conv2dBackwardFilter", x, dw, dy, args);
        var handle = CudnnHandle;
        var (d, algo, bytes, name) = plan.BackwardFilter ??= FindBackwardFilter(handle, plan);
        using var operands = new ProductOperands(this, d.Bf16, d.Nhwc);
        var (xp, dyp, dwp) = (operands.In(x), operands.In(dy), operands.Out(dw));
        float one = 1, zero = 0;
        using (Profiler.Time(name))
            Cudnn.Check(Cudnn.cudnnConvolutionBackwardFilter(handle, &one, d.X, xp, d.Y, dyp,
                d.Conv, algo, operands.Workspace(bytes), bytes, &zero, d.W, dwp));
        operands.WriteOutputs();
    }

    private ConvPlan Plan(string op, Tensor x, Tensor w, Tensor y, Conv2dArgs args)
    {
        foreach (var t in new[] { x, w, y })
        {
            if (t.Rank != 4) throw new ArgumentException($"{op}: {t} must have 4 dimensions (NCHW, weights OIHW)");
            if (!Dense(t)) throw new ArgumentException($"{op}: {t} must be contiguous");
        }
        int groups = Math.Max(args.Groups, 1);
        if (x.Shape[1] != w.Shape[1] * groups || y.Shape[1] != w.Shape[0] || x.Shape[0] != y.Shape[0])
            throw new ArgumentException($"{op}: input {RawGan.Shape.Format(x.Shape)}, weight {RawGan.Shape.Format(w.Shape)} and output {RawGan.Shape.Format(y.Shape)} do not agree (groups {groups})");
        var key = new ConvKey(x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3], w.Shape[0], w.Shape[2], w.Shape[3], y.Shape[2], y.Shape[3], args, Products.Precision);
        lock (_cudnnGate)
        {
            if (_convPlans.TryGetValue(key, out var plan)) return plan;
            bool bf16 = key.Precision == ProductPrecision.Bf16;
            var layouts = bf16 ? new[] { Describe(op, key, bf16, nhwc: false), Describe(op, key, bf16, nhwc: true) } : [Describe(op, key, bf16, nhwc: false)];
            plan = new ConvPlan
            {
                Precision = key.Precision,
                Layouts = layouts,
                Shapes = $"x {key.N}x{key.C}x{key.H}x{key.W}, w {key.K}x{key.C / Math.Max(key.Args.Groups, 1)}x{key.KH}x{key.KW}",
            };
            _convPlans[key] = plan;
            return plan;
        }
    }

    private static ConvDescriptors Describe(string op, ConvKey key, bool bf16, bool nhwc)
    {
        var d = new ConvDescriptors { Bf16 = bf16, Nhwc = nhwc };
        var type = bf16 ? cudnnDataType_t.CUDNN_DATA_BFLOAT16 : cudnnDataType_t.CUDNN_DATA_FLOAT;
        var format = nhwc ? cudnnTensorFormat_t.CUDNN_TENSOR_NHWC : cudnnTensorFormat_t.CUDNN_TENSOR_NCHW;
        var args = key.Args;
        int groups = Math.Max(args.Groups, 1);
        Cudnn.Check(Cudnn.cudnnCreateTensorDescriptor(out d.X));
        Cudnn.Check(Cudnn.cudnnSetTensor4dDescriptor(d.X, format, type, key.N, key.C, key.H, key.W));
        Cudnn.Check(Cudnn.cudnnCreateTensorDescriptor(out d.Y));
        Cudnn.Check(Cudnn.cudnnSetTensor4dDescriptor(d.Y, format, type, key.N, key.K, key.OH, key.OW));
        Cudnn.Check(Cudnn.cudnnCreateFilterDescriptor(out d.W));
        Cudnn.Check(Cudnn.cudnnSetFilter4dDescriptor(d.W, type, format, key.K, key.C / groups, key.KH, key.KW));
        Cudnn.Check(Cudnn.cudnnCreateConvolutionDescriptor(out d.Conv));
        // bfloat16 data accumulates in float32 (cuDNN's BFLOAT16_CONFIG).
        Cudnn.Check(Cudnn.cudnnSetConvolution2dDescriptor(d.Conv, args.PadH, args.PadW, args.StrideH, args.StrideW, args.DilationH, args.DilationW,
            cudnnConvolutionMode_t.CUDNN_CROSS_CORRELATION, cudnnDataType_t.CUDNN_DATA_FLOAT));
        Cudnn.Check(Cudnn.cudnnSetConvolutionGroupCount(d.Conv, groups));
        Cudnn.Check(Cudnn.cudnnSetConvolutionMathType(d.Conv, key.Precision == ProductPrecision.Fp32 ? cudnnMathType_t.CUDNN_FMA_MATH : cudnnMathType_t.CUDNN_TENSOR_OP_MATH));
        // cuDNN's own view of the output size must be the caller's, or the call would fail later.
        Cudnn.Check(Cudnn.cudnnGetConvolution2dForwardOutputDim(d.Conv, d.X, d.W, out var n, out var k, out var oh, out var ow));
        if (n != key.N || k != key.K || oh != key.OH || ow != key.OW)
            throw new ArgumentException($"{op}: output [{key.N}, {key.K}, {key.OH}, {key.OW}] but cuDNN computes [{n}, {k}, {oh}, {ow}] for input [{key.N}, {key.C}, {key.H}, {key.W}], weight [{key.K}, {key.C / groups}, {key.KH}, {key.KW}] and {args}");
        return d;
    }

    // Find runs on the handle's stream with buffers cuDNN allocates itself; it returns the
    // candidates fastest first. A candidate is usable when it ran; in strict mode it must also
    // not have used tensor-op math (the descriptor's FMA_MATH should already exclude those).
    // With several layouts, the fastest usable candidate of any layout wins.

    private unsafe ConvChoice<cudnnConvolutionFwdAlgo_t> FindForward(cudnnHandle_t handle, ConvPlan plan)
    {
        Cudnn.Check(Cudnn.cudnnGetConvolutionForwardAlgorithmMaxCount(handle, out var max));
        var results = new cudnnConvolutionFwdAlgoPerf_t[max];
        return Fastest(plan, "forward", d =>
        {
            int count;
            fixed (cudnnConvolutionFwdAlgoPerf_t* p = results)
                Cudnn.Check(Cudnn.cudnnFindConvolutionForwardAlgorithm(handle, d.X, d.W, d.Conv, d.Y, max, out count, p));
            return results.Take(count).Select(r => (r.status, r.mathType, r.time, r.algo, r.memory)).ToArray();
        });
    }

    private unsafe ConvChoice<cudnnConvolutionBwdDataAlgo_t> FindBackwardData(cudnnHandle_t handle, ConvPlan plan)
    {
        Cudnn.Check(Cudnn.cudnnGetConvolutionBackwardDataAlgorithmMaxCount(handle, out var max));
        var results = new cudnnConvolutionBwdDataAlgoPerf_t[max];
        return Fastest(plan, "backward-data", d =>
        {
            int count;
            fixed (cudnnConvolutionBwdDataAlgoPerf_t* p = results)
                Cudnn.Check(Cudnn.cudnnFindConvolutionBackwardDataAlgorithm(handle, d.W, d.Y, d.Conv, d.X, max, out count, p));
            return results.Take(count).Select(r => (r.status, r.mathType, r.time, r.algo, r.memory)).ToArray();
        });
    }

    private unsafe ConvChoice<cudnnConvolutionBwdFilterAlgo_t> FindBackwardFilter(cudnnHandle_t handle, ConvPlan plan)
    {
        Cudnn.Check(Cudnn.cudnnGetConvolutionBackwardFilterAlgorithmMaxCount(handle, out var max));
        var results = new cudnnConvolutionBwdFilterAlgoPerf_t[max];
        return Fastest(plan, "backward-filter", d =>
        {
            int count;
            fixed (cudnnConvolutionBwdFilterAlgoPerf_t* p = results)
                Cudnn.Check(Cudnn.cudnnFindConvolutionBackwardFilterAlgorithm(handle, d.X, d.Y, d.Conv, d.W, max, out count, p));
            return results.Take(count).Select(r => (r.status, r.mathType, r.time, r.algo, r.memory)).ToArray();
        });
    }

    /// <summary>Runs a Find in each of the plan's layouts and keeps the fastest usable candidate. A
    /// layout whose Find fails is passed over while another has a candidate.</summary>
    private static ConvChoice<TAlgo> Fastest<TAlgo>(ConvPlan plan, string direction,
        Func<ConvDescriptors, (cudnnStatus_t Status, cudnnMathType_t Math, float Time, TAlgo Algo, nuint Memory)[]> find)
    {
        ConvChoice<TAlgo>? best = null;
        float bestTime = float.PositiveInfinity;
        var failures = new List<string>();
        foreach (var d in plan.Layouts)
        {
            (cudnnStatus_t Status, cudnnMathType_t Math, float Time, TAlgo Algo, nuint Memory)[] candidates;
            try { candidates = find(d); }
            catch (CudaException e) when (plan.Layouts.Length > 1)
            {
                failures.Add($"{(d.Nhwc ? "NHWC" : "NCHW")}: {e.Message}");
                continue;
            }
            // Find lists the candidates that ran fastest first, the failed ones last.
            foreach (var c in candidates)
            {
                if (!Usable(c.Status, c.Math, plan)) continue;
                if (c.Time < bestTime) (best, bestTime) = (new ConvChoice<TAlgo>(d, c.Algo, c.Memory, ProfileName(plan, direction, d, c.Algo)), c.Time);
                break;
            }
        }
        return best ?? throw new NotSupportedException(
            $"cuDNN has no usable {direction} convolution algorithm for this shape in {plan.Precision.ToString().ToLowerInvariant()}{(failures.Count > 0 ? $" ({string.Join("; ", failures)})" : "")}");
    }

    /// <summary>"cudnn conv forward x 128x3x64x64, w 64x3x4x4 (bf16 NHWC, algo 1)": a transposed
    /// convolution's forward is a backward-data call, its backward a forward and a backward-filter one.</summary>
    private static string ProfileName<TAlgo>(ConvPlan plan, string direction, ConvDescriptors d, TAlgo algo) =>
        $"cudnn conv {direction} {plan.Shapes} ({plan.Precision.ToString().ToLowerInvariant()}{(d.Nhwc ? " NHWC" : "")}, algo {Convert.ToInt32(algo)})";

    private static bool Usable(cudnnStatus_t status, cudnnMathType_t mathType, ConvPlan plan) =>
        status == cudnnStatus_t.CUDNN_STATUS_SUCCESS
        && (plan.Precision != ProductPrecision.Fp32 || mathType is not (cudnnMathType_t.CUDNN_TENSOR_OP_MATH or cudnnMathType_t.CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION));
}
