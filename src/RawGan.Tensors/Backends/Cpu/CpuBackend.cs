using System.Numerics;
using System.Runtime.InteropServices;

namespace RawGan.Backends.Cpu;

/// <summary>
/// The reference backend: plain loops that gradient checks trust, in float32 and float64, and
/// the engine of every run without a GPU. The op families live in the partial files beside this.
/// </summary>
public sealed partial class CpuBackend : IBackend
{
    public static readonly CpuBackend Instance = new();

    private CpuBackend() { }

    public Device Device => Device.Cpu;

    /// <summary>Where CPU tensors' arrays come from and go back to.</summary>
    public CpuAllocator Allocator { get; } = new();

    public Storage Allocate(DType dtype, int count) => new CpuStorage(this, Allocator, dtype, count);

    public void Synchronize() { }

    /// <summary>The elements of a contiguous tensor.</summary>
    internal static Span<T> Span<T>(Tensor t) where T : unmanaged =>
        ((CpuStorage)t.Storage).Span<T>().Slice(t.Offset, t.NumEl);


    public void CopyFromHost(Tensor dst, ReadOnlySpan<byte> src) => src.CopyTo(RawBytes(dst));

    public void CopyFromHostUInt8(Tensor dst, ReadOnlySpan<byte> src, ReadOnlySpan<float> values)
    {
        UInt8Upload.Check(dst, src.Length, values.Length);
        var y = Span<float>(dst);
        for (int i = 0; i < src.Length; i++) y[i] = values[src[i]];
    }

    public void CopyToHost(Tensor src, Span<byte> dst) => RawBytes(src).CopyTo(dst);

    /// <summary>Work on the CPU is done when its call returns, so the copy is taken now.</summary>
    public PendingRead StartCopyToHost(Tensor src) => new CompletedRead(src.DType, src.NumEl, RawBytes(src).ToArray());

    private sealed class CompletedRead(DType dtype, int count, byte[] bytes) : PendingRead(dtype, count)
    {
        public override bool IsDone => true;
        protected override ReadOnlySpan<byte> WaitForBytes() => bytes;
        protected override void Release() { }
    }

    private static Span<byte> RawBytes(Tensor t) => t.DType == DType.Float32
        ? MemoryMarshal.AsBytes(Span<float>(t))
        : MemoryMarshal.AsBytes(Span<double>(t));

    public void Fill(Tensor dst, double value)
    {
        if (dst.DType == DType.Float32) Span<float>(dst).Fill((float)value);
        else Span<double>(dst).Fill(value);
    }

    public void Cast(Tensor dst, Tensor src)
    {
        if (dst.DType == src.DType) { Copy(dst, src); return; }
        if (dst.DType == DType.Float64)
        {
            var s = Span<float>(src); var d = Span<double>(dst);
            for (int i = 0; i < d.Length; i++) d[i] = s[i];
        }
        else
        {
            var s = Span<double>(src); var d = Span<float>(dst);
            for (int i = 0; i < d.Length; i++) d[i] = (float)s[i];
        }
    }

    public void Copy(Tensor dst, Tensor src)
    {
        if (dst.DType == DType.Float32) Strided<float, TakeB>(dst, src, src, 0);
        else Strided<double, TakeB>(dst, src, src, 0);
    }

    public void Binary(BinaryOp op, Tensor z, Tensor a, Tensor b)
    {
        switch (op)
        {
            case BinaryOp.Add: Elementwise<AddFn>(z, a, b); break;
            case BinaryOp.Sub: Elementwise<SubFn>(z, a, b); break;
            case BinaryOp.Mul: Elementwise<MulFn>(z, a, b); break;
            case BinaryOp.Div: Elementwise<DivFn>(z, a, b); break;
            default: throw new ArgumentOutOfRangeException(nameof(op), op, null);
        }
    }

    private static void Elementwise<TOp>(Tensor z, Tensor a, Tensor b) where TOp : struct, IPointwise
    {
        if (a.IsContiguous && b.IsContiguous && z.IsContiguous) Pointwise.Run<TOp>(z, a, b, 0);
        else if (z.DType == DType.Float32) Strided<float, TOp>(z, a, b, 0);
        else Strided<double, TOp>(z, a, b, 0);
    }

    public void Unary(UnaryOp op, Tensor y, Tensor x)
    {
        switch (op)
        {
            case UnaryOp.Neg: Pointwise.Run<NegFn>(y, x, x, 0); break;
            case UnaryOp.Exp: Pointwise.Run<ExpFn>(y, x, x, 0); break;
            case UnaryOp.Log: Pointwise.Run<LogFn>(y, x, x, 0); break;
            case UnaryOp.Sqrt: Pointwise.Run<SqrtFn>(y, x, x, 0); break;
            case UnaryOp.Abs: Pointwise.Run<AbsFn>(y, x, x, 0); break;
            default: throw new ArgumentOutOfRangeException(nameof(op), op, null);
        }
    }

    public void Scalar(ScalarOp op, Tensor y, Tensor x, double s)
    {
        switch (op)
        {
            case ScalarOp.Add: Pointwise.Run<AddScalarFn>(y, x, x, s); break;
            case ScalarOp.Mul: Pointwise.Run<MulScalarFn>(y, x, x, s); break;
            case ScalarOp.Pow: Pointwise.Run<PowScalarFn>(y, x, x, s); break;
            default: throw new ArgumentOutOfRangeException(nameof(op), op, null);
        }
    }

    /// <summary>z = op(a, b) over views with any strides (0 = broadcast). Neighbouring dims that are
    /// contiguous in all three views are merged first (a bias [1, C, 1, 1] added to [N, C, H, W] loops
    /// over N·C rows of H·W), then the rows are split over cores.</summary>
    private static void Strided<T, TOp>(Tensor z, Tensor a, Tensor b, double param)
        where T : unmanaged, IFloatingPointIeee754<T> where TOp : struct, IPointwise
    {
        if (z.NumEl == 0) return;
        var (zArray, zOffset) = Raw<T>(z); var (aArray, aOffset) = Raw<T>(a); var (bArray, bOffset) = Raw<T>(b);
        var p = T.CreateTruncating(param);
        var op = default(TOp);
        var (shape, zs, az, bz) = MergedDims(z, a, b);
        int rank = shape.Length, inner = shape[rank - 1];
        int zi = zs[rank - 1], ai = az[rank - 1], bi = bz[rank - 1];
        int rows = z.NumEl / inner;
        Chunks.Run(rows, z.NumEl, (_, start, end) =>
        {
            for (int row = start; row < end; row++)
            {
                int zo = zOffset, ao = aOffset, bo = bOffset;
                for (int d = rank - 2, rest = row; d >= 0; d--)
                {
                    int index = rest % shape[d];
                    rest /= shape[d];
                    zo += index * zs[d]; ao += index * az[d]; bo += index * bz[d];
                }
                for (int i = 0; i < inner; i++)
                    zArray[zo + i * zi] = op.Apply(aArray[ao + i * ai], bArray[bo + i * bi], p);
            }
        });
    }

    /// <summary>The shape and the three views' strides with mergeable neighbours merged (dim d into d + 1
    /// when every view's stride of d is its stride of d + 1 times that dim's size); at least one dim.</summary>
    private static (int[] Shape, int[] Z, int[] A, int[] B) MergedDims(Tensor z, Tensor a, Tensor b)
    {
        var shape = new List<int>(); List<int> zs = [], az = [], bz = [];
        for (int d = z.Rank - 1; d >= 0; d--)
        {
            int size = z.Shape[d];
            if (size == 1) continue;
            int last = shape.Count - 1;
            if (last >= 0 && z.Strides[d] == zs[last] * shape[last] && a.Strides[d] == az[last] * shape[last] && b.Strides[d] == bz[last] * shape[last])
            {
                shape[last] *= size;
                continue;
            }
            shape.Add(size); zs.Add(z.Strides[d]); az.Add(a.Strides[d]); bz.Add(b.Strides[d]);
        }
        if (shape.Count == 0) return ([1], [0], [0], [0]);
        shape.Reverse(); zs.Reverse(); az.Reverse(); bz.Reverse();
        return ([.. shape], [.. zs], [.. az], [.. bz]);
    }

    public void Sum(Tensor y, Tensor x, int outer, int n, int inner)
    {
        if (y.DType == DType.Float32) Sum(Span<float>(y), Span<float>(x), outer, n, inner);
        else Sum(Span<double>(y), Span<double>(x), outer, n, inner);
    }

    /// <summary>Accumulates in double so a float32 mean over millions of elements stays exact to rounding.</summary>
    private static void Sum<T>(Span<T> y, ReadOnlySpan<T> x, int outer, int n, int inner)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var acc = new double[inner];
        for (int o = 0; o < outer; o++)
        {
            Array.Clear(acc);
            for (int k = 0; k < n; k++)
            {
                var row = x.Slice((o * n + k) * inner, inner);
                for (int i = 0; i < inner; i++) acc[i] += double.CreateTruncating(row[i]);
            }
            for (int i = 0; i < inner; i++) y[o * inner + i] = T.CreateTruncating(acc[i]);
        }
    }

    public void Matmul(Tensor c, Tensor a, Tensor b, bool transA, bool transB, double alpha = 1, double beta = 0)
    {
        if (c.DType == DType.Float64) { Matmul<double>(c, a, b, transA, transB, alpha, beta); return; }
        using var ab = Bf16Input(a);
        using var bb = Bf16Input(b);
        Matmul<float>(c, ab ?? a, bb ?? b, transA, transB, alpha, beta);
    }

    private static void Matmul<T>(Tensor c, Tensor a, Tensor b, bool transA, bool transB, double alpha, double beta)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int batch = c.Shape[0], m = c.Shape[1], n = c.Shape[2];
        int k = transA ? a.Shape[1] : a.Shape[2];
        int aSize = a.Shape[1] * a.Shape[2], bSize = b.Shape[1] * b.Shape[2];
        var cs = Span<T>(c); var aSpan = Span<T>(a); var bSpan = Span<T>(b);
        for (int i = 0; i < batch; i++)
        {
            var ab = a.Shape[0] == 1 ? aSpan[..aSize] : aSpan.Slice(i * aSize, aSize);
            var bb = b.Shape[0] == 1 ? bSpan[..bSize] : bSpan.Slice(i * bSize, bSize);
            Gemm.Run(transA, transB, m, n, k, T.CreateTruncating(alpha), ab, a.Shape[2], bb, b.Shape[2],
                T.CreateTruncating(beta), cs.Slice(i * m * n, m * n), n);
        }
    }
}
