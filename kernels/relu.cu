// relu: y = max(x, 0); dx = dy where x > 0.
#include "common.cuh"

struct ReluOp { __device__ float operator()(float x) const { return x > 0.0f ? x : 0.0f; } };
struct ReluGradOp { __device__ float operator()(float dy, float x) const { return x > 0.0f ? dy : 0.0f; } };

extern "C" __global__ void relu_forward_f32(float* y, const float* x, int n) { pointwise1(y, x, n, ReluOp()); }
extern "C" __global__ void relu_backward_f32(float* dx, const float* dy, const float* x, int n) { pointwise2(dx, dy, x, n, ReluGradOp()); }
