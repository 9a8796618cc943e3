// RMSprop, uncentred (Torch7 optim.rmsprop = PyTorch): d = g + wd p; s = a s + (1 - a) d d;
// p -= lr d / (sqrt(s) + eps). lr is read from hyper[0] when hyper is set (a step captured in a
// CUDA graph; see adam.cu).
#include "common.cuh"

extern "C" __global__ void rmsprop_step_f32(float* param, const float* grad, float* square_avg, const float* hyper,
                                            float lr, float alpha, float eps, float wd, int n) {
    if (hyper != nullptr) lr = hyper[0];
    for (long long i = global_thread(); i < n; i += grid_threads()) {
        float d = grad[i] + wd * param[i];
        float s = alpha * square_avg[i] + (1.0f - alpha) * d * d;
        square_avg[i] = s;
        param[i] -= lr * d / (sqrtf(s) + eps);
    }
}
