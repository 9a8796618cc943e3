// Binary cross-entropy on logits, stable for any x: loss = max(x, 0) - x t + log1p(e^-|x|);
// dx = g (sigmoid(x) - t).
#include "common.cuh"

struct BceLogitsOp {
    __device__ float operator()(float x, float t) const { return fmaxf(x, 0.0f) - x * t + log1pf(expf(-fabsf(x))); }
};

struct BceLogitsGradOp {
    float g;
    __device__ float operator()(float x, float t) const { return g * (stable_sigmoid(x) - t); }
};

extern "C" __global__ void bce_with_logits_forward_f32(float* loss, const float* x, const float* target, int n) {
    pointwise2(loss, x, target, n, BceLogitsOp());
}

extern "C" __global__ void bce_with_logits_backward_f32(float* dx, const float* dLoss, const float* x, const float* target, double scale, int n) {
    pointwise2(dx, x, target, n, BceLogitsGradOp{loss_upstream(dLoss, scale)});
}
