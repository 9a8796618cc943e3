// tanh: y = tanh(x); dx = dy (1 - y^2), from the saved output.
#include "common.cuh"

struct TanhOp { __device__ float operator()(float x) const { return tanhf(x); } };
struct TanhGradOp { __device__ float operator()(float dy, float y) const { return dy * (1.0f - y * y); } };

extern "C" __global__ void tanh_forward_f32(float* y, const float* x, int n) { pointwise1(y, x, n, TanhOp()); }
extern "C" __global__ void tanh_backward_f32(float* dx, const float* dy, const float* y, int n) { pointwise2(dx, dy, y, n, TanhGradOp()); }
