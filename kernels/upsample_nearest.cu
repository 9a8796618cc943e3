// Nearest-neighbour upsampling of NCHW planes by an integer scale s: y[oh, ow] = x[oh / s, ow / s];
// the backward sums each s x s block of dy (a gather: deterministic, no atomics).
// h and w are the input's height and width; the output is (h s) x (w s).
#include "common.cuh"

extern "C" __global__ void upsample_nearest_forward_f32(float* y, const float* x, int planes, int h, int w, int s) {
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
