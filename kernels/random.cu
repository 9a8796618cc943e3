// Philox draws: uniform(low, high), normal(mean, std) and the dropout mask, identical to the CPU
// backend (Backends/Cpu/CpuBackend.Random.cs): the float32 stream is mapped in double, then
// rounded to float. One thread computes one Philox block, i.e. four consecutive elements.
// offset_base: null, or (a step captured in a CUDA graph) the generator's offset at the start of the
// step, in device memory the host rewrites before each replay; offset is then relative to it.
#include "common.cuh"
#include "philox.cuh"

// Writes the four values of block b (fewer at the end of the tensor).
__device__ __forceinline__ void store_block(float* y, long long b, int n, float v0, float v1, float v2, float v3) {
    long long i = b << 2;
    if (i + 3 < n && aligned16(y)) {
        float4 v;
        v.x = v0; v.y = v1; v.z = v2; v.w = v3;
        reinterpret_cast<float4*>(y)[b] = v;
        return;
    }
    y[i] = v0;
    if (i + 1 < n) y[i + 1] = v1;
    if (i + 2 < n) y[i + 2] = v2;
    if (i + 3 < n) y[i + 3] = v3;
}

__device__ __forceinline__ float scale_shift(float v, double shift, double scale) {
    return (float)(shift + scale * (double)v);
}

extern "C" __global__ void random_uniform_f32(float* y, unsigned long long seed, const unsigned long long* offset_base, unsigned long long offset,
                                              double low, double high, int n) {
    if (offset_base != nullptr) offset += *offset_base;
    long long blocks = ((long long)n + 3) >> 2;
    double range = high - low;
    for (long long b = global_thread(); b < blocks; b += grid_threads()) {
        PhiloxBlock w = philox_stream_block(seed, offset, (unsigned long long)b);
        store_block(y, b, n,
                    scale_shift(philox_uniform(w.w0), low, range), scale_shift(philox_uniform(w.w1), low, range),
                    scale_shift(philox_uniform(w.w2), low, range), scale_shift(philox_uniform(w.w3), low, range));
    }
}

extern "C" __global__ void random_normal_f32(float* y, unsigned long long seed, const unsigned long long* offset_base, unsigned long long offset,
                                             double mean, double std, int n) {
    if (offset_base != nullptr) offset += *offset_base;
    long long blocks = ((long long)n + 3) >> 2;
    for (long long b = global_thread(); b < blocks; b += grid_threads()) {
        PhiloxBlock w = philox_stream_block(seed, offset, (unsigned long long)b);
        float n0, n1, n2, n3;
        philox_box_muller(w.w0, w.w1, n0, n1);
        philox_box_muller(w.w2, w.w3, n2, n3);
        store_block(y, b, n, scale_shift(n0, mean, std), scale_shift(n1, mean, std),
                    scale_shift(n2, mean, std), scale_shift(n3, mean, std));
    }
}

// mask = 0 where the uniform draw u < p, else keep = 1 / (1 - p) (rounded to float by the host).
extern "C" __global__ void dropout_mask_f32(float* mask, unsigned long long seed, const unsigned long long* offset_base, unsigned long long offset,
                                            double p, float keep, int n) {
    if (offset_base != nullptr) offset += *offset_base;
    long long blocks = ((long long)n + 3) >> 2;
    for (long long b = global_thread(); b < blocks; b += grid_threads()) {
        PhiloxBlock w = philox_stream_block(seed, offset, (unsigned long long)b);
        store_block(mask, b, n,
                    (double)philox_uniform(w.w0) < p ? 0.0f : keep, (double)philox_uniform(w.w1) < p ? 0.0f : keep,
                    (double)philox_uniform(w.w2) < p ? 0.0f : keep, (double)philox_uniform(w.w3) < p ? 0.0f : keep);
    }
}
