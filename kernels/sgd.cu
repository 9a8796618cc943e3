// SGD with optional momentum (PyTorch, no dampening or Nesterov): d = g + wd p; with a buffer,
// buf = first ? d : momentum buf + d and d = buf; p -= lr d. Every tensor of the list (param, grad,
// momentum buffer or null) in one launch, a block per chunk (multi_tensor.cuh); first_step holds
// for every tensor of the launch. lr is read from hyper[0] when hyper is set (a step captured in a
// CUDA graph; see adam.cu).
#include "common.cuh"
#include "multi_tensor.cuh"

extern "C" __global__ void sgd_step_f32(TensorList list, const float* hyper, float lr, float momentum, float wd, int first_step) {
    if (hyper != nullptr) lr = hyper[0];
    TensorChunk c = tensor_chunk(list);
    float *param = c.ptr[0], *buf = c.ptr[2];
    const float* grad = c.ptr[1];
    for (int i = threadIdx.x; i < c.n; i += blockDim.x) {
        float d = grad[i] + wd * param[i];
        if (buf != nullptr) {
            buf[i] = first_step ? d : momentum * buf[i] + d;
            d = buf[i];
        }
        param[i] -= lr * d;
    }
}
