// SGD with optional momentum (PyTorch, no dampening or Nesterov): d = g + wd p; with a buffer,
// buf = first ? d : momentum buf + d and d = buf; p -= lr d. buf is null without momentum.
// lr is read from hyper[0] when hyper is set (a step captured in a CUDA graph; see adam.cu).
#include "common.cuh"

extern "C" __global__ void sgd_step_f32(float* param, const float* grad, float* buf, const float* hyper,
                                        float lr, float momentum, float wd, int first_step, int n) {
    if (hyper != nullptr) lr = hyper[0];
    for (long long i = global_thread(); i < n; i += grid_threads()) {
        float d = grad[i] + wd * param[i];
        if (buf != nullptr) {
            buf[i] = first_step ? d : momentum * buf[i] + d;
            d = buf[i];
        }
        param[i] -= lr * d;
    }
}
