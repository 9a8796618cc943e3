// L1: loss = |x - t|; dx = g sign(x - t) (0 where x == t).
#include "common.cuh"

struct L1Op { __device__ float operator()(float x, float t) const { return fabsf(x - t); } };

struct L1GradOp {
    float g;
    __device__ float operator()(float x, float t) const {
        float d = x - t;
        return g * (float)((d > 0.0f) - (d < 0.0f));
    }
};

extern "C" __global__ void l1_forward_f32(float* loss, const float* x, const float* target, int n) {
    pointwise2(loss, x, target, n, L1Op());
}

extern "C" __global__ void l1_backward_f32(float* dx, const float* dLoss, const float* x, const float* target, double scale, int n) {
    pointwise2(dx, x, target, n, L1GradOp{loss_upstream(dLoss, scale)});
}
