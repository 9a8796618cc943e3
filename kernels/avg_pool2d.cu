// 2-d average pooling over NCHW planes; the padding counts in the divisor (kh * kw), as PyTorch's
// count_include_pad. The backward gathers dy / (kh * kw) from every window containing the element.
#include "common.cuh"

extern "C" __global__ void avg_pool2d_forward_f32(float* y, const float* x, Pool2d g) {
    long long total = (long long)g.planes * g.oh * g.ow;
    float divisor = (float)(g.kh * g.kw);
    for (long long i = global_thread(); i < total; i += grid_threads()) {
        int p, oh, ow;
        split_plane_index(i, g.oh, g.ow, p, oh, ow);
        const float* plane = x + (long long)p * g.h * g.w;
        int h0 = oh * g.sh - g.ph, w0 = ow * g.sw - g.pw;
        float acc = 0.0f;
        for (int a = 0; a < g.kh; ++a) {
            int h = h0 + a;
            if (h < 0 || h >= g.h) continue;
            for (int b = 0; b < g.kw; ++b) {
                int w = w0 + b;
                if (w >= 0 && w < g.w) acc += plane[h * g.w + w];
            }
        }
        y[i] = acc / divisor;
    }
}

extern "C" __global__ void avg_pool2d_backward_f32(float* dx, const float* dy, Pool2d g) {
    long long total = (long long)g.planes * g.h * g.w;
    float divisor = (float)(g.kh * g.kw);
    for (long long i = global_thread(); i < total; i += grid_threads()) {
        int p, ih, iw;
        split_plane_index(i, g.h, g.w, p, ih, iw);
        const float* dyp = dy + (long long)p * g.oh * g.ow;
        int oh0 = ih + g.ph - g.kh < 0 ? 0 : (ih + g.ph - g.kh) / g.sh + 1;
        int oh1 = (ih + g.ph) / g.sh;
        int ow0 = iw + g.pw - g.kw < 0 ? 0 : (iw + g.pw - g.kw) / g.sw + 1;
        int ow1 = (iw + g.pw) / g.sw;
        if (oh1 > g.oh - 1) oh1 = g.oh - 1;
        if (ow1 > g.ow - 1) ow1 = g.ow - 1;
        float acc = 0.0f;
        for (int oh = oh0; oh <= oh1; ++oh)
            for (int ow = ow0; ow <= ow1; ++ow) acc += dyp[oh * g.ow + ow] / divisor;
        dx[i] = acc;
    }
}
