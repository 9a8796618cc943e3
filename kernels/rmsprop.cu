// RMSprop, uncentred (Torch7 optim.rmsprop = PyTorch): d = g + wd p; s = a s + (1 - a) d d;
// p -= lr d / (sqrt(s) + eps).
#include "common.cuh"

extern "C" __global__ void rmsprop_step_f32(float* param, const float* grad, float* square_avg,
                                            float lr, float alpha, float eps, float wd, int n) {
    for (long long i = global_thread(); i < n; i += grid_threads()) {
        float d = grad[i] + wd * param[i];
        float s = alpha * square_avg[i] + (1.0f - alpha) * d * d;
        square_avg[i] = s;
        param[i] -= lr * d / (sqrtf(s) + eps);
    }
}
