using System.Buffers;
using System.Numerics;

namespace RawGan.Backends.Cpu;

// conv2d as im2col + GEMM, per image and group (Caffe's formulation). With col = im2col(x[n, g])
// of shape [K = C/g * kH * kW, L = Ho * Wo] and W[g] the weight rows of group g as [O/g, K]:
//   forward          y[n, g]  = W[g] @ col
//   data gradient    dx[n, g] = col2im(W[g]^T @ dy[n, g])
//   filter gradient  dW[g]   += dy[n, g] @ col^T, summed over n
// Images are spread over cores in fixed chunks, each with its own column buffer.
public sealed partial class CpuBackend
{
    public void Conv2dForward(Tensor y, Tensor x, Tensor w, Conv2dArgs args)
    {
        var g = new ConvGeometry("conv2d forward", x, y, w, args);
        if (y.DType == DType.Float32) ConvForward<float>(y, x, w, g);
        else ConvForward<double>(y, x, w, g);
    }

    public void Conv2dBackwardData(Tensor dx, Tensor dy, Tensor w, Conv2dArgs args)
    {
        var g = new ConvGeometry("conv2d backward data", dx, dy, w, args);
        if (dx.DType == DType.Float32) ConvBackwardData<float>(dx, dy, w, g);
        else ConvBackwardData<double>(dx, dy, w, g);
    }

    public void Conv2dBackwardFilter(Tensor dw, Tensor dy, Tensor x, Conv2dArgs args)
    {
        var g = new ConvGeometry("conv2d backward filter", x, dy, dw, args);
        if (dw.DType == DType.Float32) ConvBackwardFilter<float>(dw, dy, x, g);
        else ConvBackwardFilter<double>(dw, dy, x, g);
    }

    /// <summary>A contiguous tensor's backing array and the index of its first element, for use
    /// inside parallel lambdas, which cannot capture spans.</summary>
    private static (T[] Array, int Offset) Raw<T>(Tensor t) where T : unmanaged =>
        ((T[])((CpuStorage)t.Storage).Data, t.Offset);

    private static void ConvForward<T>(Tensor y, Tensor x, Tensor w, ConvGeometry g)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (ya, yo) = Raw<T>(y); var (xa, xo) = Raw<T>(x); var (wa, wo) = Raw<T>(w);
        int imageSize = g.C * g.H * g.W, groupImage = g.Cg * g.H * g.W;
        Chunks.Run(g.N, g.Work, (_, start, end) =>
        {
            var col = ArrayPool<T>.Shared.Rent(g.K * g.L);
            try
            {
                for (int n = start; n < end; n++)
                for (int gr = 0; gr < g.Groups; gr++)
                {
                    Im2Col.Pack<T>(xa.AsSpan(xo + n * imageSize + gr * groupImage, groupImage), col, g);
                    Gemm.Run(false, false, g.Og, g.L, g.K,
                        T.One, wa.AsSpan(wo + gr * g.Og * g.K, g.Og * g.K), g.K, col.AsSpan(0, g.K * g.L), g.L,
                        T.Zero, ya.AsSpan(yo + (n * g.O + gr * g.Og) * g.L, g.Og * g.L), g.L);
                }
            }
            finally { ArrayPool<T>.Shared.Return(col); }
        });
    }

    private static void ConvBackwardData<T>(Tensor dx, Tensor dy, Tensor w, ConvGeometry g)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (dxa, dxo) = Raw<T>(dx); var (dya, dyo) = Raw<T>(dy); var (wa, wo) = Raw<T>(w);
        int imageSize = g.C * g.H * g.W, groupImage = g.Cg * g.H * g.W;
        Chunks.Run(g.N, g.Work, (_, start, end) =>
        {
            var col = ArrayPool<T>.Shared.Rent(g.K * g.L);
            try
            {
                for (int n = start; n < end; n++)
                for (int gr = 0; gr < g.Groups; gr++)
                {
                    Gemm.Run(true, false, g.K, g.L, g.Og,
                        T.One, wa.AsSpan(wo + gr * g.Og * g.K, g.Og * g.K), g.K, dya.AsSpan(dyo + (n * g.O + gr * g.Og) * g.L, g.Og * g.L), g.L,
                        T.Zero, col.AsSpan(0, g.K * g.L), g.L);
                    var image = dxa.AsSpan(dxo + n * imageSize + gr * groupImage, groupImage);
                    image.Clear();
                    Im2Col.Unpack<T>(col, image, g);
                }
            }
            finally { ArrayPool<T>.Shared.Return(col); }
        });
    }

    /// <summary>Each chunk of images sums its own partial dW (chunk 0 straight into dw, the others into
    /// pooled buffers); the partials are then added in chunk order, so the result is deterministic.</summary>
    private static void ConvBackwardFilter<T>(Tensor dw, Tensor dy, Tensor x, ConvGeometry g)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (dwa, dwo) = Raw<T>(dw); var (dya, dyo) = Raw<T>(dy); var (xa, xo) = Raw<T>(x);
        int imageSize = g.C * g.H * g.W, groupImage = g.Cg * g.H * g.W, size = g.O * g.K;
        if (g.N == 0) { dwa.AsSpan(dwo, size).Clear(); return; }
        int chunks = Chunks.CountFor(g.N, g.Work);
        var partials = new T[chunks][];
        for (int c = 1; c < chunks; c++) partials[c] = ArrayPool<T>.Shared.Rent(size);
        try
        {
            Chunks.Run(g.N, chunks, (chunk, start, end) =>
            {
                var (part, partOffset) = chunk == 0 ? (dwa, dwo) : (partials[chunk], 0);
                var col = ArrayPool<T>.Shared.Rent(g.K * g.L);
                try
                {
                    for (int n = start; n < end; n++)
                    for (int gr = 0; gr < g.Groups; gr++)
                    {
                        Im2Col.Pack<T>(xa.AsSpan(xo + n * imageSize + gr * groupImage, groupImage), col, g);
                        Gemm.Run(false, true, g.Og, g.K, g.L,
                            T.One, dya.AsSpan(dyo + (n * g.O + gr * g.Og) * g.L, g.Og * g.L), g.L, col.AsSpan(0, g.K * g.L), g.L,
                            n == start ? T.Zero : T.One, part.AsSpan(partOffset + gr * g.Og * g.K, g.Og * g.K), g.K);
                    }
                }
                finally { ArrayPool<T>.Shared.Return(col); }
            });
            var total = dwa.AsSpan(dwo, size);
            for (int c = 1; c < chunks; c++)
            {
                var part = partials[c].AsSpan(0, size);
                for (int i = 0; i < size; i++) total[i] += part[i];
            }
        }
        finally
        {
            for (int c = 1; c < chunks; c++) ArrayPool<T>.Shared.Return(partials[c]);
        }
    }
}
