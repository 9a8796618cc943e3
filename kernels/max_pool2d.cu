// 2-d max pooling over NCHW planes, padding counted as -inf. The gradient goes to each window's
// first maximum (PyTorch's choice). Two backwards, neither with atomics: a gather for any geometry
// (each input element sums dy over the windows whose maximum it is), and for windows that tile the
// input (stride = kernel, no padding: the 2x2 pools of the GANs here) one thread per tile that finds
// its maximum once and writes the whole tile.
#include "common.cuh"

// The flat index (within the plane) of the first maximum of window (oh, ow); NaN wins, as in PyTorch.
__device__ __forceinline__ int window_argmax(const float* plane, const Pool2d& g, int oh, int ow, float& best) {
    int h0 = oh * g.sh - g.ph, w0 = ow * g.sw - g.pw;
    int arg = -1;
    best = -__int_as_float(0x7f800000);
    for (int a = 0; a < g.kh; ++a) {
        int h = h0 + a;
        if (h < 0 || h >= g.h) continue;
        for (int b = 0; b < g.kw; ++b) {
            int w = w0 + b;
            if (w < 0 || w >= g.w) continue;
            float v = plane[h * g.w + w];
            if (arg < 0 || v > best || v != v) {
                best = v;
                arg = h * g.w + w;
            }
        }
    }
    return arg;
}

extern "C" __global__ void max_pool2d_forward_f32(float* y, const float* x, Pool2d g) {
    long long total = (long long)g.planes * g.oh * g.ow;
    for (long long i = global_thread(); i < total; i += grid_threads()) {
        int plane, oh, ow;
        split_plane_index(i, g.oh, g.ow, plane, oh, ow);
        float best;
        window_argmax(x + (long long)plane * g.h * g.w, g, oh, ow, best);
        y[i] = best;
    }
}

extern "C" __global__ void max_pool2d_backward_f32(float* dx, const float* dy, const float* x, Pool2d g) {
    long long total = (long long)g.planes * g.h * g.w;
    for (long long i = global_thread(); i < total; i += grid_threads()) {
        int plane, ih, iw;
        split_plane_index(i, g.h, g.w, plane, ih, iw);
        const float* xp = x + (long long)plane * g.h * g.w;
        const float* dyp = dy + (long long)plane * g.oh * g.ow;
        // Windows containing row ih: oh * sh - ph <= ih < oh * sh - ph + kh.
        int oh0 = ih + g.ph - g.kh < 0 ? 0 : (ih + g.ph - g.kh) / g.sh + 1;
        int oh1 = (ih + g.ph) / g.sh;
        int ow0 = iw + g.pw - g.kw < 0 ? 0 : (iw + g.pw - g.kw) / g.sw + 1;
        int ow1 = (iw + g.pw) / g.sw;
        if (oh1 > g.oh - 1) oh1 = g.oh - 1;
        if (ow1 > g.ow - 1) ow1 = g.ow - 1;
        int self = ih * g.w + iw;
        float acc = 0.0f;
        for (int oh = oh0; oh <= oh1; ++oh)
            for (int ow = ow0; ow <= ow1; ++ow) {
                float best;
                if (window_argmax(xp, g, oh, ow, best) == self) acc += dyp[oh * g.ow + ow];
            }
        dx[i] = acc;
    }
}

// Windows that tile the input (kh = sh, kw = sw, no padding). Tiles past the last window (when the
// size is not a multiple of the window) get zeros.
extern "C" __global__ void max_pool2d_backward_tiled_f32(float* dx, const float* dy, const float* x, Pool2d g) {
    int th = (g.h + g.kh - 1) / g.kh, tw = (g.w + g.kw - 1) / g.kw;
    long long total = (long long)g.planes * th * tw;
    for (long long i = global_thread(); i < total; i += grid_threads()) {
        int plane, oh, ow;
        split_plane_index(i, th, tw, plane, oh, ow);
        const float* xp = x + (long long)plane * g.h * g.w;
        float* dxp = dx + (long long)plane * g.h * g.w;
        bool window = oh < g.oh && ow < g.ow;
        float best, grad = 0.0f;
        int arg = -1;
        if (window) {
            arg = window_argmax(xp, g, oh, ow, best);
            grad = dy[((long long)plane * g.oh + oh) * g.ow + ow];
        }
        int h0 = oh * g.kh, w0 = ow * g.kw;
        for (int a = 0; a < g.kh && h0 + a < g.h; ++a)
            for (int b = 0; b < g.kw && w0 + b < g.w; ++b) {
                int at = (h0 + a) * g.w + w0 + b;
                dxp[at] = at == arg ? grad : 0.0f;
            }
    }
}
