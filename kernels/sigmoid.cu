// sigmoid: y = 1 / (1 + e^-x), stable on both tails; dx = dy y (1 - y), from the saved output.
#include "common.cuh"

struct SigmoidOp { __device__ float operator()(float x) const { return stable_sigmoid(x); } };
struct SigmoidGradOp { __device__ float operator()(float dy, float y) const { return dy * y * (1.0f - y); } };

extern "C" __global__ void sigmoid_forward_f32(float* y, const float* x, int n) { pointwise1(y, x, n, SigmoidOp()); }
extern "C" __global__ void sigmoid_backward_f32(float* dx, const float* dy, const float* y, int n) { pointwise2(dx, dy, y, n, SigmoidGradOp()); }
