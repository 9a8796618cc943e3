// A convolution's bias add fused with the activation after it, per channel of NCHW: leaky relu
// or elu. The element formulas are those of leaky_relu.cu and elu.cu applied to z = x + bias[c].
//   forward:  bias_act_forward (y = act(z); one pass where the pair reads and writes x twice)
//   backward: bias_act_backward (dx = dy act'(z), and partial sums of dx per channel and range of
//             images in the same pass), bias_act_bias_grad (one thread a channel adds its partials)
#include "channel_sums.cuh"

// Mirrored by Backends/Cuda/Kernels/BiasActivationKernels.cs.
struct Activation {
    int kind;  // FusedActivation: 0 leaky relu (p the slope; 0 is relu), 1 elu (p = alpha)
    float p;
};

__device__ __forceinline__ float act_forward(float z, Activation a) {
    if (z > 0.0f) return z;
    return a.kind == 1 ? a.p * (expf(z) - 1.0f) : z * a.p;
}

__device__ __forceinline__ float act_backward(float d, float z, Activation a) {
    if (z > 0.0f) return d;
    return a.kind == 1 ? d * a.p * expf(z) : d * a.p;
}

extern "C" __global__ void bias_act_forward_f32(float* y, const float* x, const float* bias, Activation a, ChannelSplits g) {
    unsigned int total = (unsigned int)g.n * g.c * g.hw;
    if ((g.hw & 3) == 0 && aligned16(y) && aligned16(x)) {
        unsigned int hw4 = (unsigned int)g.hw >> 2;
        for (long long i = global_thread(); i < (total >> 2); i += grid_threads()) {
            float b = bias[channel_of_four(i, hw4, g.c)];
            float4 v = reinterpret_cast<const float4*>(x)[i];
            v.x = act_forward(v.x + b, a);
            v.y = act_forward(v.y + b, a);
            v.z = act_forward(v.z + b, a);
            v.w = act_forward(v.w + b, a);
            reinterpret_cast<float4*>(y)[i] = v;
        }
        return;
    }
    for (long long i = global_thread(); i < total; i += grid_threads())
        y[i] = act_forward(x[i] + bias[((unsigned int)i / (unsigned int)g.hw) % (unsigned int)g.c], a);
}

struct BiasActGrad {
    float* dx;
    const float* dy;
    const float* x;
    float b;
    Activation a;
    float s;
    __device__ __forceinline__ float one_value(float d, float v) {
        float g = act_backward(d, v + b, a);
        s += g;
        return g;
    }
    __device__ __forceinline__ void one(long long o) { dx[o] = one_value(dy[o], x[o]); }
    __device__ __forceinline__ void four(long long o) {
        float4 d = *reinterpret_cast<const float4*>(dy + o), v = *reinterpret_cast<const float4*>(x + o), r;
        r.x = one_value(d.x, v.x);
        r.y = one_value(d.y, v.y);
        r.z = one_value(d.z, v.z);
        r.w = one_value(d.w, v.w);
        *reinterpret_cast<float4*>(dx + o) = r;
    }
};

// One block per (channel, split): dx over the block's share, and its sum (channel_sums.cuh's
// partials of two sums, the second unused).
extern "C" __global__ void bias_act_backward_f32(float* dx, double* partial, const float* dy, const float* x, const float* bias,
                                                 Activation a, ChannelSplits g) {
    int ch = blockIdx.x / g.splits, split = blockIdx.x - ch * g.splits;
    BiasActGrad f = {dx, dy, x, bias[ch], a, 0.0f};
    channel_slice(g, ch, split, (g.hw & 3) == 0 && aligned16(dx) && aligned16(dy) && aligned16(x), f);
    write_partial2(partial, f.s, 0.0);
}

extern "C" __global__ void bias_act_bias_grad_f32(float* d_bias, const double* partial, ChannelSplits g) {
    for (int ch = (int)global_thread(); ch < g.c; ch += (int)grid_threads()) {
        double s, unused;
        channel_total2(partial, ch, g, s, unused);
        d_bias[ch] = (float)s;
    }
}
