// leaky relu: y = x > 0 ? x : slope x; dx = x > 0 ? dy : slope dy.
#include "common.cuh"

struct LeakyReluOp { float slope; __device__ float operator()(float x) const { return x > 0.0f ? x : x * slope; } };
struct LeakyReluGradOp { float slope; __device__ float operator()(float dy, float x) const { return x > 0.0f ? dy : dy * slope; } };

// v1: one element per thread per step, scalar loads. Kept for the benchmark's before/after.
extern "C" __global__ void leaky_relu_forward_f32_v1(float* y, const float* x, float slope, int n) {
    for (long long i = global_thread(); i < n; i += grid_threads()) y[i] = x[i] > 0.0f ? x[i] : x[i] * slope;
}

// v2: float4 loads and stores, two per thread per step (pointwise1).
extern "C" __global__ void leaky_relu_forward_f32(float* y, const float* x, float slope, int n) { pointwise1(y, x, n, LeakyReluOp{slope}); }
extern "C" __global__ void leaky_relu_backward_f32(float* dx, const float* dy, const float* x, float slope, int n) { pointwise2(dx, dy, x, n, LeakyReluGradOp{slope}); }
