// Binary cross-entropy on probabilities: loss = -(t log p + (1 - t) log(1 - p)) with each log
// clamped at -100 (PyTorch); dp = g (p - t) / max(p (1 - p), 1e-12).
#include "common.cuh"

struct BceOp {
    __device__ float operator()(float p, float t) const {
        return -(t * fmaxf(logf(p), -100.0f) + (1.0f - t) * fmaxf(logf(1.0f - p), -100.0f));
    }
};

struct BceGradOp {
    float g;
    __device__ float operator()(float p, float t) const { return g * (p - t) / fmaxf((1.0f - p) * p, 1e-12f); }
};

extern "C" __global__ void bce_forward_f32(float* loss, const float* p, const float* target, int n) {
    pointwise2(loss, p, target, n, BceOp());
}

extern "C" __global__ void bce_backward_f32(float* dp, const float* dLoss, const float* p, const float* target, double scale, int n) {
    pointwise2(dp, p, target, n, BceGradOp{loss_upstream(dLoss, scale)});
}
