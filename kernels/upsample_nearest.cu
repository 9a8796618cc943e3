// Nearest-neighbour upsampling of NCHW planes by an integer scale s: y[oh, ow] = x[oh / s, ow / s];
// the backward sums each s x s block of dy (a gather: deterministic, no atomics).
// h and w are the input's height and width; the output is (h s) x (w s).
#include "common.cuh"

// One thread per input element writes its s x s block: one read, and at s = 2 two float2 stores
// (each output row 2c, 2c + 1), instead of one thread per output element with its index divisions.
extern "C" __global__ void upsample_nearest_forward_f32(float* y, const float* x, int planes, int h, int w, int s) {
    int ow = w * s;
    long long total = (long long)planes * h * w;
    bool pairs = s == 2 && (reinterpret_cast<unsigned long long>(y) & 7ull) == 0;
    for (long long i = global_thread(); i < total; i += grid_threads()) {
        int plane, r, c;
        split_plane_index(i, h, w, plane, r, c);
        float v = x[i];
        float* top = y + ((long long)plane * h * s + (long long)r * s) * ow + (long long)c * s;
        if (pairs) {
            float2 v2;
            v2.x = v; v2.y = v;
            *reinterpret_cast<float2*>(top) = v2;
            *reinterpret_cast<float2*>(top + ow) = v2;
            continue;
        }
        for (int a = 0; a < s; ++a)
            for (int b = 0; b < s; ++b) top[(long long)a * ow + b] = v;
    }
}

// The first version, kept for tools/KernelBench: one thread per output element.
extern "C" __global__ void upsample_nearest_forward_v1_f32(float* y, const float* x, int planes, int h, int w, int s) {
    int oh = h * s, ow = w * s;
    long long total = (long long)planes * oh * ow;
    for (long long i = global_thread(); i < total; i += grid_threads()) {
        int plane, r, c;
        split_plane_index(i, oh, ow, plane, r, c);
        y[i] = x[((long long)plane * h + r / s) * w + c / s];
    }
}

extern "C" __global__ void upsample_nearest_backward_f32(float* dx, const float* dy, int planes, int h, int w, int s) {
    int ow = w * s;
    long long total = (long long)planes * h * w;
    for (long long i = global_thread(); i < total; i += grid_threads()) {
        int plane, r, c;
        split_plane_index(i, h, w, plane, r, c);
        const float* dyp = dy + (long long)plane * h * s * ow;
        float acc = 0.0f;
        for (int a = 0; a < s; ++a)
            for (int b = 0; b < s; ++b) acc += dyp[(long long)(r * s + a) * ow + c * s + b];
        dx[i] = acc;
    }
}
