using System.Numerics;

namespace RawGan.Backends.Cpu;

// Nearest upsampling and 2-d pooling. Every (n, c) plane is independent, so planes are spread
// over cores; a backward pass writes only into its own plane of dx, so overlapping windows
// need no synchronisation. Sizes come from the tensors: x [N, C, H, W], y [N, C, Ho, Wo].
public sealed partial class CpuBackend
{
    public void UpsampleNearestForward(Tensor y, Tensor x, int scale)
    {
        if (y.DType == DType.Float32) UpsampleForward<float>(y, x, scale);
        else UpsampleForward<double>(y, x, scale);
    }

    public void UpsampleNearestBackward(Tensor dx, Tensor dy, int scale)
    {
        if (dx.DType == DType.Float32) UpsampleBackward<float>(dx, dy, scale);
        else UpsampleBackward<double>(dx, dy, scale);
    }

    public void MaxPool2dForward(Tensor y, Tensor x, Pool2dArgs args)
    {
        if (y.DType == DType.Float32) MaxPool<float>(y, null, x, args);
        else MaxPool<double>(y, null, x, args);
    }

    public void MaxPool2dBackward(Tensor dx, Tensor dy, Tensor x, Pool2dArgs args)
    {
        if (dx.DType == DType.Float32) MaxPool<float>(dy, dx, x, args);
        else MaxPool<double>(dy, dx, x, args);
    }

    public void AvgPool2dForward(Tensor y, Tensor x, Pool2dArgs args)
    {
        if (y.DType == DType.Float32) AvgPool<float>(y, x, args, backward: false);
        else AvgPool<double>(y, x, args, backward: false);
    }

    public void AvgPool2dBackward(Tensor dx, Tensor dy, Pool2dArgs args)
    {
        if (dx.DType == DType.Float32) AvgPool<float>(dy, dx, args, backward: true);
        else AvgPool<double>(dy, dx, args, backward: true);
    }

    private static void UpsampleForward<T>(Tensor y, Tensor x, int s) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (ya, yo) = Raw<T>(y); var (xa, xo) = Raw<T>(x);
        int h = x.Shape[2], w = x.Shape[3], wo = w * s, planeIn = h * w, planeOut = planeIn * s * s;
        Chunks.Run(x.Shape[0] * x.Shape[1], y.NumEl, (_, start, end) =>
        {
            for (int p = start; p < end; p++)
            for (int ih = 0; ih < h; ih++)
            {
                var src = xa.AsSpan(xo + p * planeIn + ih * w, w);
                var first = ya.AsSpan(yo + p * planeOut + ih * s * wo, wo);
                for (int iw = 0; iw < w; iw++) first.Slice(iw * s, s).Fill(src[iw]);
                // The other s - 1 output rows of this input row are copies of the first.
                for (int r = 1; r < s; r++) first.CopyTo(ya.AsSpan(yo + p * planeOut + (ih * s + r) * wo, wo));
            }
        });
    }

    /// <summary>dx[ih, iw] is the sum of the s x s block of dy it was copied to.</summary>
    private static void UpsampleBackward<T>(Tensor dx, Tensor dy, int s) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (dxa, dxo) = Raw<T>(dx); var (dya, dyo) = Raw<T>(dy);
        int h = dx.Shape[2], w = dx.Shape[3], wo = w * s, planeIn = h * w, planeOut = planeIn * s * s;
        Chunks.Run(dx.Shape[0] * dx.Shape[1], dy.NumEl, (_, start, end) =>
        {
            for (int p = start; p < end; p++)
            for (int ih = 0; ih < h; ih++)
            {
                var dst = dxa.AsSpan(dxo + p * planeIn + ih * w, w);
                dst.Clear();
                for (int r = 0; r < s; r++)
                {
                    var src = dya.AsSpan(dyo + p * planeOut + (ih * s + r) * wo, wo);
                    for (int iw = 0; iw < w; iw++)
                    {
                        var acc = dst[iw];
                        foreach (var v in src.Slice(iw * s, s)) acc += v;
                        dst[iw] = acc;
                    }
                }
            }
        });
    }

    /// <summary>One walk over the windows serves both directions. Forward (dx null): yOrDy receives the
    /// window maxima. Backward: yOrDy holds dy and dx gets each dy at its window's first maximum in
    /// row-major order (a NaN counts as the maximum, as PyTorch). Padding acts as -inf: never visited.</summary>
    private static void MaxPool<T>(Tensor yOrDy, Tensor? dx, Tensor x, Pool2dArgs a) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (ya, yo) = Raw<T>(yOrDy); var (xa, xo) = Raw<T>(x);
        T[]? dxa = dx is null ? null : Raw<T>(dx).Array;
        int dxo = dx?.Offset ?? 0;
        int h = x.Shape[2], w = x.Shape[3], ho = yOrDy.Shape[2], wo = yOrDy.Shape[3], planeIn = h * w, planeOut = ho * wo;
        Chunks.Run(x.Shape[0] * x.Shape[1], (long)yOrDy.NumEl * a.KernelH * a.KernelW, (_, start, end) =>
        {
            for (int p = start; p < end; p++)
            {
                var plane = xa.AsSpan(xo + p * planeIn, planeIn);
                var outs = ya.AsSpan(yo + p * planeOut, planeOut);
                var grad = dxa is null ? default : dxa.AsSpan(dxo + p * planeIn, planeIn);
                grad.Clear();
                for (int oh = 0; oh < ho; oh++)
                {
                    int hs = oh * a.StrideH - a.PadH, hLo = Math.Max(hs, 0), hHi = Math.Min(hs + a.KernelH, h);
                    for (int ow = 0; ow < wo; ow++)
                    {
                        int ws = ow * a.StrideW - a.PadW, wLo = Math.Max(ws, 0), wHi = Math.Min(ws + a.KernelW, w);
                        T best = T.NegativeInfinity;
                        int at = -1;
                        for (int ih = hLo; ih < hHi; ih++)
                        for (int iw = wLo; iw < wHi; iw++)
                        {
                            var v = plane[ih * w + iw];
                            if (v > best || T.IsNaN(v)) { best = v; at = ih * w + iw; }
                        }
                        if (dxa is null) outs[oh * wo + ow] = best;
                        else if (at >= 0) grad[at] += outs[oh * wo + ow];
                    }
                }
            }
        });
    }

    /// <summary>Padding counts as zeros (count_include_pad), so every window divides by kH kW. One walk over
    /// the windows serves both directions: forward, yOrDy = window means of xOrDx; backward, each
    /// window spreads dy / (kH kW) over the xOrDx elements it covers.</summary>
    private static void AvgPool<T>(Tensor yOrDy, Tensor xOrDx, Pool2dArgs a, bool backward) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (ya, yo) = Raw<T>(yOrDy); var (xa, xo) = Raw<T>(xOrDx);
        int h = xOrDx.Shape[2], w = xOrDx.Shape[3], ho = yOrDy.Shape[2], wo = yOrDy.Shape[3], planeIn = h * w, planeOut = ho * wo;
        var inv = T.One / T.CreateTruncating(a.KernelH * a.KernelW);
        Chunks.Run(xOrDx.Shape[0] * xOrDx.Shape[1], (long)yOrDy.NumEl * a.KernelH * a.KernelW, (_, start, end) =>
        {
            for (int p = start; p < end; p++)
            {
                var plane = xa.AsSpan(xo + p * planeIn, planeIn);
                var outs = ya.AsSpan(yo + p * planeOut, planeOut);
                if (backward) plane.Clear();
                for (int oh = 0; oh < ho; oh++)
                {
                    int hs = oh * a.StrideH - a.PadH, hLo = Math.Max(hs, 0), hHi = Math.Min(hs + a.KernelH, h);
                    for (int ow = 0; ow < wo; ow++)
                    {
                        int ws = ow * a.StrideW - a.PadW, wLo = Math.Max(ws, 0), wHi = Math.Min(ws + a.KernelW, w);
                        if (backward)
                        {
                            var share = outs[oh * wo + ow] * inv;
                            for (int ih = hLo; ih < hHi; ih++)
                                foreach (ref var v in plane.Slice(ih * w + wLo, Math.Max(wHi - wLo, 0))) v += share;
                        }
                        else
                        {
                            T sum = T.Zero;
                            for (int ih = hLo; ih < hHi; ih++)
                                foreach (var v in plane.Slice(ih * w + wLo, Math.Max(wHi - wLo, 0))) sum += v;
                            outs[oh * wo + ow] = sum * inv;
                        }
                    }
                }
            }
        });
    }
}
