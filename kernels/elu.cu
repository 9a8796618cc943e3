// elu: y = x > 0 ? x : alpha (e^x - 1); dx = x > 0 ? dy : dy alpha e^x.
#include "common.cuh"

struct EluOp { float alpha; __device__ float operator()(float x) const { return x > 0.0f ? x : alpha * (expf(x) - 1.0f); } };
struct EluGradOp { float alpha; __device__ float operator()(float dy, float x) const { return x > 0.0f ? dy : dy * alpha * expf(x); } };

extern "C" __global__ void elu_forward_f32(float* y, const float* x, float alpha, int n) { pointwise1(y, x, n, EluOp{alpha}); }
extern "C" __global__ void elu_backward_f32(float* dx, const float* dy, const float* x, float alpha, int n) { pointwise2(dx, dy, x, n, EluGradOp{alpha}); }
