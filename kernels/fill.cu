// y[i] = value.
#include "common.cuh"

extern "C" __global__ void fill_f32(float* y, float value, int n) {
    long long start = global_thread(), step = grid_threads();
    long long head = 0;
    if (aligned16(y)) {
        long long n4 = n >> 2;
        float4 v;
        v.x = value; v.y = value; v.z = value; v.w = value;
        for (long long i = start; i < n4; i += step) reinterpret_cast<float4*>(y)[i] = v;
        head = n4 << 2;
    }
    for (long long i = head + start; i < n; i += step) y[i] = value;
}
