using System.Numerics;

namespace RawGan.Backends.Cpu;

// conv2d as im2col + GEMM (Caffe's formulation), on blocks of images. With col = im2col of a block's images
// side by side, [K = C/g * kH * kW, B * L] for B images of L = Ho * Wo output positions, W[g] the weight rows of
// group g as [O/g, K] and dy[g] the block's output gradients side by side as [O/g, B * L]:
//   forward          y[g]    = W[g] @ col, then scattered to each image
//   data gradient    dx[g]   = col2im(W[g]^T @ dy[g]), per image
//   filter gradient  dW[g]  += dy[g] @ col^T, summed over the blocks
// One GEMM per image had only L = 16 to 256 columns at DCGAN-32 and ran at 40-100 GFLOP/s; blocks of about 256
// columns run at about 300 on 2 cores (docs/benchmarks.md). ConvBlocks lays out blocks and threads: chunks of images
// run in parallel, each with its own buffers. Convs whose window covers the whole image go to ConvLinear.
// Bf16 products (ProductPrecision) round inputs and output around the float32 path: CpuBackend.Bf16.cs.
public sealed partial class CpuBackend
{
    public void Conv2dForward(Tensor y, Tensor x, Tensor w, Conv2dArgs args)
    {
        var g = new ConvGeometry("conv2d forward", x, y, w, args);
        if (y.DType == DType.Float64) { ConvForward<double>(y, x, w, g); return; }
        using var xb = Bf16Input(x);
        using var wb = Bf16Input(w);
        ConvForward<float>(y, xb ?? x, wb ?? w, g);
        Bf16Output(y);
    }

    public void Conv2dBackwardData(Tensor dx, Tensor dy, Tensor w, Conv2dArgs args)
    {
        var g = new ConvGeometry("conv2d backward data", dx, dy, w, args);
        if (dx.DType == DType.Float64) { ConvBackwardData<double>(dx, dy, w, g); return; }
        using var dyb = Bf16Input(dy);
        using var wb = Bf16Input(w);
        ConvBackwardData<float>(dx, dyb ?? dy, wb ?? w, g);
        Bf16Output(dx);
    }

    public void Conv2dBackwardFilter(Tensor dw, Tensor dy, Tensor x, Conv2dArgs args)
    {
        var g = new ConvGeometry("conv2d backward filter", x, dy, dw, args);
        if (dw.DType == DType.Float64) { ConvBackwardFilter<double>(dw, dy, x, g); return; }
        using var dyb = Bf16Input(dy);
        using var xb = Bf16Input(x);
        ConvBackwardFilter<float>(dw, dyb ?? dy, xb ?? x, g);
        Bf16Output(dw);
    }

    /// <summary>A contiguous tensor's backing array and the index of its first element, for use
    /// inside parallel lambdas, which cannot capture spans.</summary>
    private static (T[] Array, int Offset) Raw<T>(Tensor t) where T : unmanaged =>
        ((T[])((CpuStorage)t.Storage).Data, t.Offset);

    private static void ConvForward<T>(Tensor y, Tensor x, Tensor w, ConvGeometry g)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (ya, yo) = Raw<T>(y); var (xa, xo) = Raw<T>(x); var (wa, wo) = Raw<T>(w);
        if (g.IsLinear) { ConvLinear.Forward(ya, yo, xa, xo, wa, wo, g); return; }
        var plan = new ConvBlocks(g);
        ForEachBlock<T>(g, plan, (buffers, _, _, n0, images, gr) =>
        {
            int cols = images * g.L;
            var col = PackImages(buffers, xa, xo, n0, images, gr, g);
            // A single image's result is already laid out as y[n, g]: write it there.
            var result = images == 1 ? ya.AsSpan(yo + g.OutputOffset(n0, gr), g.Og * cols) : buffers.Block.AsSpan(0, g.Og * cols);
            Gemm.Run(Gemm.BestIsa, plan.GemmThreads, false, false, g.Og, cols, g.K,
                T.One, wa.AsSpan(wo + gr * g.Og * g.K, g.Og * g.K), g.K, col, cols,
                T.Zero, result, cols);
            if (images > 1) Scatter<T>(buffers.Block, ya, yo, n0, images, gr, g);
        });
    }

    private static void ConvBackwardData<T>(Tensor dx, Tensor dy, Tensor w, ConvGeometry g)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (dxa, dxo) = Raw<T>(dx); var (dya, dyo) = Raw<T>(dy); var (wa, wo) = Raw<T>(w);
        if (g.IsLinear) { ConvLinear.BackwardData(dxa, dxo, dya, dyo, wa, wo, g); return; }
        var plan = new ConvBlocks(g);
        ForEachBlock<T>(g, plan, (buffers, _, _, n0, images, gr) =>
        {
            int cols = images * g.L;
            var col = buffers.Col;
            var grad = Gather<T>(dya, dyo, n0, images, gr, buffers.Block, g);
            Gemm.Run(Gemm.BestIsa, plan.GemmThreads, true, false, g.K, cols, g.Og,
                T.One, wa.AsSpan(wo + gr * g.Og * g.K, g.Og * g.K), g.K, grad, cols,
                T.Zero, col.AsSpan(0, g.K * cols), cols);
            for (int i = 0; i < images; i++)
                Im2Col.Unpack<T>(col.AsSpan(i * g.L), cols, dxa.AsSpan(dxo + g.ImageOffset(n0 + i, gr), g.GroupImage), buffers.Staging, g);
        });
    }

    /// <summary>Each chunk of images sums its own partial dW (chunk 0 straight into dw, the others into
    /// pooled buffers); the partials are then added in chunk order, so the result is deterministic.</summary>
    private static void ConvBackwardFilter<T>(Tensor dw, Tensor dy, Tensor x, ConvGeometry g)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (dwa, dwo) = Raw<T>(dw); var (dya, dyo) = Raw<T>(dy); var (xa, xo) = Raw<T>(x);
        int size = g.O * g.K;
        if (g.N == 0) { dwa.AsSpan(dwo, size).Clear(); return; }
        if (g.IsLinear) { ConvLinear.BackwardFilter(dwa, dwo, dya, dyo, xa, xo, g); return; }
        var plan = new ConvBlocks(g);
        var partials = new T[plan.Chunks][];
        for (int c = 1; c < plan.Chunks; c++) partials[c] = ConvScratch.Rent<T>(size);
        try
        {
            ForEachBlock<T>(g, plan, (buffers, chunk, start, n0, images, gr) =>
            {
                var (part, partOffset) = chunk == 0 ? (dwa, dwo) : (partials[chunk], 0);
                int cols = images * g.L;
                var col = PackImages(buffers, xa, xo, n0, images, gr, g);
                var grad = Gather<T>(dya, dyo, n0, images, gr, buffers.Block, g);
                Gemm.Run(Gemm.BestIsa, plan.GemmThreads, false, true, g.Og, g.K, cols,
                    T.One, grad, cols, col, cols,
                    n0 == start ? T.Zero : T.One, part.AsSpan(partOffset + gr * g.Og * g.K, g.Og * g.K), g.K);
            });
            var total = dwa.AsSpan(dwo, size);
            for (int c = 1; c < plan.Chunks; c++)
            {
                var part = partials[c].AsSpan(0, size);
                for (int i = 0; i < size; i++) total[i] += part[i];
            }
        }
        finally
        {
            for (int c = 1; c < plan.Chunks; c++) ConvScratch.Return(partials[c]);
        }
    }

    /// <summary>The work of a block of images for one group: its chunk's buffers, the chunk's number and
    /// first image, the block's first image and image count, and the group.</summary>
    private delegate void BlockWork<T>(ChunkBuffers<T> buffers, int chunk, int chunkStart, int n0, int images, int gr)
        where T : unmanaged, IFloatingPoint<T>;

    /// <summary>The loop every direction shares: chunks of images in parallel, each with its own buffers,
    /// walked in blocks of up to plan.Images images, each block once per group.</summary>
    private static void ForEachBlock<T>(ConvGeometry g, ConvBlocks plan, BlockWork<T> work) where T : unmanaged, IFloatingPoint<T>
    {
        Chunks.RunInChunks(g.N, plan.Chunks, (chunk, start, end) =>
        {
            using var buffers = new ChunkBuffers<T>(g, plan);
            for (int n0 = start; n0 < end; n0 += plan.Images)
            {
                int images = Math.Min(plan.Images, end - n0);
                for (int gr = 0; gr < g.Groups; gr++) work(buffers, chunk, start, n0, images, gr);
            }
        });
    }

    /// <summary>The block's images of group gr as one column matrix [K, images * L] in buffers.Col.</summary>
    private static ReadOnlySpan<T> PackImages<T>(ChunkBuffers<T> buffers, T[] xa, int xo, int n0, int images, int gr, in ConvGeometry g)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int cols = images * g.L;
        for (int i = 0; i < images; i++)
            Im2Col.Pack<T>(xa.AsSpan(xo + g.ImageOffset(n0 + i, gr), g.GroupImage), buffers.Col.AsSpan(i * g.L), cols, buffers.Staging, g);
        return buffers.Col.AsSpan(0, g.K * cols);
    }

    /// <summary>Copies a block's result [Og, images * L] to y[n0 + i, gr * Og + o, :] for each image i.</summary>
    private static void Scatter<T>(T[] block, T[] ya, int yo, int n0, int images, int gr, in ConvGeometry g)
    {
        int cols = images * g.L;
        for (int i = 0; i < images; i++)
        {
            int dst = yo + g.OutputOffset(n0 + i, gr);
            for (int o = 0; o < g.Og; o++)
                block.AsSpan(o * cols + i * g.L, g.L).CopyTo(ya.AsSpan(dst + o * g.L, g.L));
        }
    }

    /// <summary>The block's output gradients as one matrix [Og, images * L]: dy[n0, gr] itself for a single
    /// image, else copied side by side into block.</summary>
    private static ReadOnlySpan<T> Gather<T>(T[] dya, int dyo, int n0, int images, int gr, T[] block, in ConvGeometry g)
    {
        int cols = images * g.L;
        if (images == 1) return dya.AsSpan(dyo + g.OutputOffset(n0, gr), g.Og * g.L);
        for (int i = 0; i < images; i++)
        {
            int src = dyo + g.OutputOffset(n0 + i, gr);
            for (int o = 0; o < g.Og; o++)
                dya.AsSpan(src + o * g.L, g.L).CopyTo(block.AsSpan(o * cols + i * g.L, g.L));
        }
        return block.AsSpan(0, g.Og * cols);
    }

    /// <summary>One chunk's scratch arrays: the column matrix of a block of images, the block's gathered
    /// or scattered [Og, images * L] matrix, and im2col's padded staging copy of an image.</summary>
    private readonly struct ChunkBuffers<T> : IDisposable where T : unmanaged, IFloatingPoint<T>
    {
        public ChunkBuffers(in ConvGeometry g, ConvBlocks plan)
        {
            Col = ConvScratch.Rent<T>(g.K * plan.Images * g.L);
            Block = ConvScratch.Rent<T>(g.Og * plan.Images * g.L);
            Staging = ConvScratch.Rent<T>(Im2Col.StagingSize(g));
        }

        public T[] Col { get; }
        public T[] Block { get; }
        public T[] Staging { get; }

        public void Dispose()
        {
            ConvScratch.Return(Col);
            ConvScratch.Return(Block);
            ConvScratch.Return(Staging);
        }
    }
}
