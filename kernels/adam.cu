// PyTorch's Adam, fused and in place, the CPU formula term for term: d = g + wd p;
// m = b1 m + (1 - b1) d; v = b2 v + (1 - b2) d d; p -= step_size m / (sqrt(v) / correction2 + eps).
// step_size = lr / (1 - b1^t) and correction2 = sqrt(1 - b2^t) come from the host each step: as
// arguments, or (hyper != null, a step captured in a CUDA graph) from device memory that the host
// rewrites before each replay (src/RawGan.Tensors/StepCapture.cs).
#include "common.cuh"
#include "multi_tensor.cuh"

// Mirrored by AdamParams in Backends/Cuda/Kernels/OptimizerKernels.cs.
struct AdamParams {
    float b1, b2, step_size, correction2, eps, wd;
};

__device__ __forceinline__ void adam_element(float& p, float g, float& m, float& v, const AdamParams& h) {
    float d = g + h.wd * p;
    m = h.b1 * m + (1.0f - h.b1) * d;
    v = h.b2 * v + (1.0f - h.b2) * d * d;
    p -= h.step_size * m / (sqrtf(v) / h.correction2 + h.eps);
}

// Elements 4i .. 4i + 3, every array 16-byte aligned.
__device__ __forceinline__ void adam_float4(float* param, const float* grad, float* m, float* v, long long i, const AdamParams& h) {
    float4 p4 = reinterpret_cast<float4*>(param)[i];
    float4 g4 = reinterpret_cast<const float4*>(grad)[i];
    float4 m4 = reinterpret_cast<float4*>(m)[i];
    float4 v4 = reinterpret_cast<float4*>(v)[i];
    adam_element(p4.x, g4.x, m4.x, v4.x, h);
    adam_element(p4.y, g4.y, m4.y, v4.y, h);
    adam_element(p4.z, g4.z, m4.z, v4.z, h);
    adam_element(p4.w, g4.w, m4.w, v4.w, h);
    reinterpret_cast<float4*>(param)[i] = p4;
    reinterpret_cast<float4*>(m)[i] = m4;
    reinterpret_cast<float4*>(v)[i] = v4;
}

// Every tensor of the list (param, grad, exp_avg, exp_avg_sq) in one launch, a block per chunk.
extern "C" __global__ void adam_step_f32(TensorList list, const float* hyper, AdamParams h) {
    if (hyper != nullptr) {
        h.step_size = hyper[0];
        h.correction2 = hyper[1];
    }
    TensorChunk c = tensor_chunk(list);
    float *param = c.ptr[0], *m = c.ptr[2], *v = c.ptr[3];
    const float* grad = c.ptr[1];
    int head = 0;
    if (aligned16(param) && aligned16(grad) && aligned16(m) && aligned16(v)) {
        int n4 = c.n >> 2;
        for (int i = threadIdx.x; i < n4; i += blockDim.x) adam_float4(param, grad, m, v, i, h);
        head = n4 << 2;
    }
    for (int i = head + threadIdx.x; i < c.n; i += blockDim.x) adam_element(param[i], grad[i], m[i], v[i], h);
}

// v1: one tensor per launch, grid-stride. Superseded by adam_step_f32; KernelBench times both on a
// DCGAN generator's parameter list.
extern "C" __global__ void adam_step_v1_f32(float* param, const float* grad, float* m, float* v, const float* hyper,
                                            float b1, float b2, float step_size, float correction2, float eps, float wd, int n) {
    if (hyper != nullptr) {
        step_size = hyper[0];
        correction2 = hyper[1];
    }
    AdamParams h = {b1, b2, step_size, correction2, eps, wd};
    long long start = global_thread(), step = grid_threads();
    long long head = 0;
    if (aligned16(param) && aligned16(grad) && aligned16(m) && aligned16(v)) {
        long long n4 = n >> 2;
        for (long long i = start; i < n4; i += step) adam_float4(param, grad, m, v, i, h);
        head = n4 << 2;
    }
    for (long long i = head + start; i < n; i += step) adam_element(param[i], grad[i], m[i], v[i], h);
}
