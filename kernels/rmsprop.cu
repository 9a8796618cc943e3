// RMSprop, uncentred (Torch7 optim.rmsprop = PyTorch): d = g + wd p; s = a s + (1 - a) d d;
// p -= lr d / (sqrt(s) + eps). Every tensor of the list (param, grad, square_avg) in one launch, a
// block per chunk (multi_tensor.cuh). lr is read from hyper[0] when hyper is set (a step captured
// in a CUDA graph; see adam.cu).
#include "common.cuh"
#include "multi_tensor.cuh"

extern "C" __global__ void rmsprop_step_f32(TensorList list, const float* hyper, float lr, float alpha, float eps, float wd) {
    if (hyper != nullptr) lr = hyper[0];
    TensorChunk c = tensor_chunk(list);
    float *param = c.ptr[0], *square_avg = c.ptr[2];
    const float* grad = c.ptr[1];
    for (int i = threadIdx.x; i < c.n; i += blockDim.x) {
        float d = grad[i] + wd * param[i];
        float s = alpha * square_avg[i] + (1.0f - alpha) * d * d;
        square_avg[i] = s;
        param[i] -= lr * d / (sqrtf(s) + eps);
    }
}
