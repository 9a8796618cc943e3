// SGD with optional momentum (PyTorch, no dampening or Nesterov): d = g + wd p; with a buffer,
// buf = first ? d : momentum buf + d and d = buf; p -= lr d. buf is null without momentum.
#include "common.cuh"

extern "C" __global__ void sgd_step_f32(float* param, const float* grad, float* buf,
                                        float lr, float momentum, float wd, int first_step, int n) {
    for (long long i = global_thread(); i < n; i += grid_threads()) {
        float d = grad[i] + wd * param[i];
        if (buf != nullptr) {
            buf[i] = first_step ? d : momentum * buf[i] + d;
            d = buf[i];
        }
        param[i] -= lr * d;
    }
}
