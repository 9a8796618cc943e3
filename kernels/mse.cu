// Squared error: loss = (x - t)^2; dx = g 2 (x - t).
#include "common.cuh"

struct MseOp { __device__ float operator()(float x, float t) const { return (x - t) * (x - t); } };

struct MseGradOp {
    float g;
    __device__ float operator()(float x, float t) const { return g * 2.0f * (x - t); }
};

extern "C" __global__ void mse_forward_f32(float* loss, const float* x, const float* target, int n) {
    pointwise2(loss, x, target, n, MseOp());
}

extern "C" __global__ void mse_backward_f32(float* dx, const float* dLoss, const float* x, const float* target, double scale, int n) {
    pointwise2(dx, x, target, n, MseGradOp{loss_upstream(dLoss, scale)});
}
