// softplus: y = max(x, 0) + log1p(e^-|x|) (stable for any x); dx = dy sigmoid(x).
#include "common.cuh"

struct SoftplusOp { __device__ float operator()(float x) const { return fmaxf(x, 0.0f) + log1pf(expf(-fabsf(x))); } };
struct SoftplusGradOp { __device__ float operator()(float dy, float x) const { return dy * stable_sigmoid(x); } };

extern "C" __global__ void softplus_forward_f32(float* y, const float* x, int n) { pointwise1(y, x, n, SoftplusOp()); }
extern "C" __global__ void softplus_backward_f32(float* dx, const float* dy, const float* x, int n) { pointwise2(dx, dy, x, n, SoftplusGradOp()); }
