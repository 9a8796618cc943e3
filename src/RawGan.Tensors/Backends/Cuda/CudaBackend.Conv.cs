using RawGan.Backends.Cuda.Interop;

namespace RawGan.Backends.Cuda;

// Convolutions through cuDNN: NCHW float32, cross-correlation (PyTorch's conv2d), groups. The
// first call for a shape runs cuDNN's Find (every algorithm, timed) for that direction and keeps
// the fastest, with its workspace size; descriptors and choices are cached per shape. Strict
// float32 uses CUDNN_FMA_MATH: CUDNN_DEFAULT_MATH would let Ampere and newer round to TF32.
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
    private readonly record struct ConvKey(int N, int C, int H, int W, int K, int KH, int KW, int OH, int OW, Conv2dArgs Args, bool Tf32);

    /// <summary>The descriptors of one convolution shape and the algorithm chosen per direction.</summary>
    private sealed class ConvPlan
    {
        public cudnnTensorDescriptor_t X, Y;
        public cudnnFilterDescriptor_t W;
        public cudnnConvolutionDescriptor_t Conv;
        public bool Tf32;
        public (cudnnConvolutionFwdAlgo_t Algo, nuint Workspace)? Forward;
        public (cudnnConvolutionBwdDataAlgo_t Algo, nuint Workspace)? BackwardData;
        public (cudnnConvolutionBwdFilterAlgo_t Algo, nuint Workspace)? BackwardFilter;
    }

    public unsafe void Conv2dForward(Tensor y, Tensor x, Tensor w, Conv2dArgs args)
    {
        Enter();
        var plan = Plan("Conv2dForward", x, w, y, args);
        var handle = CudnnHandle;
        var (algo, bytes) = plan.Forward ??= FindForward(handle, plan);
        float one = 1, zero = 0;
        var workspace = Allocator.Allocate((long)bytes, Stream);
        try
        {
            Cudnn.Check(Cudnn.cudnnConvolutionForward(handle, &one, plan.X, Ptr(x), plan.W, Ptr(w),
                plan.Conv, algo, workspace.Pointer, bytes, &zero, plan.Y, Ptr(y)));
        }
        finally
        {
            // Stream order makes an immediate return safe: later users of the block queue behind.
            Allocator.Free(workspace);
        }
    }

    public unsafe void Conv2dBackwardData(Tensor dx, Tensor dy, Tensor w, Conv2dArgs args)
    {
        Enter();
        var plan = Plan("Conv2dBackwardData", dx, w, dy, args);
        var handle = CudnnHandle;
        var (algo, bytes) = plan.BackwardData ??= FindBackwardData(handle, plan);
        float one = 1, zero = 0;
        var workspace = Allocator.Allocate((long)bytes, Stream);
        try
        {
            Cudnn.Check(Cudnn.cudnnConvolutionBackwardData(handle, &one, plan.W, Ptr(w), plan.Y, Ptr(dy),
                plan.Conv, algo, workspace.Pointer, bytes, &zero, plan.X, Ptr(dx)));
        }
        finally
        {
            Allocator.Free(workspace);
        }
    }

    public unsafe void Conv2dBackwardFilter(Tensor dw, Tensor dy, Tensor x, Conv2dArgs args)
    {
        Enter();
        var plan = Plan("Conv2dBackwardFilter", x, dw, dy, args);
        var handle = CudnnHandle;
        var (algo, bytes) = plan.BackwardFilter ??= FindBackwardFilter(handle, plan);
        float one = 1, zero = 0;
        var workspace = Allocator.Allocate((long)bytes, Stream);
        try
        {
            Cudnn.Check(Cudnn.cudnnConvolutionBackwardFilter(handle, &one, plan.X, Ptr(x), plan.Y, Ptr(dy),
                plan.Conv, algo, workspace.Pointer, bytes, &zero, plan.W, Ptr(dw)));
        }
        finally
        {
            Allocator.Free(workspace);
        }
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
        var key = new ConvKey(x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3], w.Shape[0], w.Shape[2], w.Shape[3], y.Shape[2], y.Shape[3], args, AllowTf32);
        lock (_cudnnGate)
        {
            if (_convPlans.TryGetValue(key, out var plan)) return plan;
            plan = new ConvPlan { Tf32 = key.Tf32 };
            Cudnn.Check(Cudnn.cudnnCreateTensorDescriptor(out plan.X));
            Cudnn.Check(Cudnn.cudnnSetTensor4dDescriptor(plan.X, cudnnTensorFormat_t.CUDNN_TENSOR_NCHW, cudnnDataType_t.CUDNN_DATA_FLOAT, key.N, key.C, key.H, key.W));
            Cudnn.Check(Cudnn.cudnnCreateTensorDescriptor(out plan.Y));
            Cudnn.Check(Cudnn.cudnnSetTensor4dDescriptor(plan.Y, cudnnTensorFormat_t.CUDNN_TENSOR_NCHW, cudnnDataType_t.CUDNN_DATA_FLOAT, key.N, key.K, key.OH, key.OW));
            Cudnn.Check(Cudnn.cudnnCreateFilterDescriptor(out plan.W));
            Cudnn.Check(Cudnn.cudnnSetFilter4dDescriptor(plan.W, cudnnDataType_t.CUDNN_DATA_FLOAT, cudnnTensorFormat_t.CUDNN_TENSOR_NCHW, key.K, key.C / groups, key.KH, key.KW));
            Cudnn.Check(Cudnn.cudnnCreateConvolutionDescriptor(out plan.Conv));
            Cudnn.Check(Cudnn.cudnnSetConvolution2dDescriptor(plan.Conv, args.PadH, args.PadW, args.StrideH, args.StrideW, args.DilationH, args.DilationW,
                cudnnConvolutionMode_t.CUDNN_CROSS_CORRELATION, cudnnDataType_t.CUDNN_DATA_FLOAT));
            Cudnn.Check(Cudnn.cudnnSetConvolutionGroupCount(plan.Conv, groups));
            Cudnn.Check(Cudnn.cudnnSetConvolutionMathType(plan.Conv, key.Tf32 ? cudnnMathType_t.CUDNN_TENSOR_OP_MATH : cudnnMathType_t.CUDNN_FMA_MATH));
            // cuDNN's own view of the output size must be the caller's, or the call would fail later.
            Cudnn.Check(Cudnn.cudnnGetConvolution2dForwardOutputDim(plan.Conv, plan.X, plan.W, out var n, out var k, out var oh, out var ow));
            if (n != key.N || k != key.K || oh != key.OH || ow != key.OW)
                throw new ArgumentException($"{op}: output {RawGan.Shape.Format(y.Shape)} but cuDNN computes [{n}, {k}, {oh}, {ow}] for input {RawGan.Shape.Format(x.Shape)}, weight {RawGan.Shape.Format(w.Shape)} and {args}");
            _convPlans[key] = plan;
            return plan;
        }
    }

    // Find runs on the handle's stream with buffers cuDNN allocates itself; it returns the
    // candidates fastest first. A candidate is usable when it ran; in strict mode it must also
    // not have used tensor-op math (the descriptor's FMA_MATH should already exclude those).

    private unsafe (cudnnConvolutionFwdAlgo_t, nuint) FindForward(cudnnHandle_t handle, ConvPlan plan)
    {
        Cudnn.Check(Cudnn.cudnnGetConvolutionForwardAlgorithmMaxCount(handle, out var max));
        var results = stackalloc cudnnConvolutionFwdAlgoPerf_t[max];
        Cudnn.Check(Cudnn.cudnnFindConvolutionForwardAlgorithm(handle, plan.X, plan.W, plan.Conv, plan.Y, max, out var count, results));
        for (int i = 0; i < count; i++)
            if (Usable(results[i].status, results[i].mathType, plan))
                return (results[i].algo, results[i].memory);
        throw new NotSupportedException($"cuDNN has no usable forward convolution algorithm for this shape ({count} tried)");
    }

    private unsafe (cudnnConvolutionBwdDataAlgo_t, nuint) FindBackwardData(cudnnHandle_t handle, ConvPlan plan)
    {
        Cudnn.Check(Cudnn.cudnnGetConvolutionBackwardDataAlgorithmMaxCount(handle, out var max));
        var results = stackalloc cudnnConvolutionBwdDataAlgoPerf_t[max];
        Cudnn.Check(Cudnn.cudnnFindConvolutionBackwardDataAlgorithm(handle, plan.W, plan.Y, plan.Conv, plan.X, max, out var count, results));
        for (int i = 0; i < count; i++)
            if (Usable(results[i].status, results[i].mathType, plan))
                return (results[i].algo, results[i].memory);
        throw new NotSupportedException($"cuDNN has no usable backward-data convolution algorithm for this shape ({count} tried)");
    }

    private unsafe (cudnnConvolutionBwdFilterAlgo_t, nuint) FindBackwardFilter(cudnnHandle_t handle, ConvPlan plan)
    {
        Cudnn.Check(Cudnn.cudnnGetConvolutionBackwardFilterAlgorithmMaxCount(handle, out var max));
        var results = stackalloc cudnnConvolutionBwdFilterAlgoPerf_t[max];
        Cudnn.Check(Cudnn.cudnnFindConvolutionBackwardFilterAlgorithm(handle, plan.X, plan.Y, plan.Conv, plan.W, max, out var count, results));
        for (int i = 0; i < count; i++)
            if (Usable(results[i].status, results[i].mathType, plan))
                return (results[i].algo, results[i].memory);
        throw new NotSupportedException($"cuDNN has no usable backward-filter convolution algorithm for this shape ({count} tried)");
    }

    private static bool Usable(cudnnStatus_t status, cudnnMathType_t mathType, ConvPlan plan) =>
        status == cudnnStatus_t.CUDNN_STATUS_SUCCESS
        && (plan.Tf32 || mathType is not (cudnnMathType_t.CUDNN_TENSOR_OP_MATH or cudnnMathType_t.CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION));
}
