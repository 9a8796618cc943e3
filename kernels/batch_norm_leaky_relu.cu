// Batch norm in training mode fused with leaky relu (slope 0: relu) over NCHW: each channel's
// statistics run over its N planes of HW elements. Separately, cuDNN's batch norm writes the
// normalised tensor z and the activation reads it back, and the activation's backward needs z
// kept until then; fused, z never reaches memory: the forward reads x twice and writes y once,
// the backward reads dy and x twice and writes dx once, recomputing z to know where the slope
// applied (bn_z is the one formula for z, so the backward's mask is the forward's, bit for bit).
//
//   forward:  bn_lrelu_stats (partial sums per channel and range of images)
//             bn_lrelu_finalize (mean, 1 / sqrt(var + eps), running stats; one thread a channel)
//             bn_lrelu_apply (y = leaky(z))
//   backward: bn_lrelu_grad_sums (partial sums of g and g (x - mean), g = dy times leaky's slope at z)
//             bn_lrelu_grad_finalize (dgamma, dbeta, and dx's per-channel coefficients)
//             bn_lrelu_grad_input (dx = a g + b (x - mean) + shift)
//
// Partial sums (channel_sums.cuh): each thread adds in float (tens of elements), blocks and
// ranges of images combine in double. The variance comes from sums of d = x - shift and d^2 with
// shift one element of the channel, so it does not cancel when a channel's mean is large against
// its spread.
#include "channel_sums.cuh"

// Mirrored by Backends/Cuda/Kernels/BatchNormLeakyReluKernels.cs.
struct BnChannels {
    const float* mean;
    const float* inv_std;
    const float* gamma;
    const float* beta;
};

__device__ __forceinline__ float bn_scale(const BnChannels& p, int ch) { return p.gamma[ch] * p.inv_std[ch]; }

// The normalised value from xc = x - mean; explicit fma so every kernel rounds it the same way.
__device__ __forceinline__ float bn_z(float xc, float scale, float beta) { return __fmaf_rn(xc, scale, beta); }

__device__ __forceinline__ float leaky(float z, float slope) { return z > 0.0f ? z : z * slope; }

struct StatsSums {
    const float* x;
    float shift, s, q;
    __device__ __forceinline__ void add(float v) { float d = v - shift; s += d; q = fmaf(d, d, q); }
    __device__ __forceinline__ void one(long long o) { add(x[o]); }
    __device__ __forceinline__ void four(long long o) {
        float4 v = *reinterpret_cast<const float4*>(x + o);
        add(v.x); add(v.y); add(v.z); add(v.w);
    }
};

// One block per (channel, split): partial[2 (ch splits + split) + {0, 1}] = sum d, sum d^2,
// d = x - (the channel's first element).
extern "C" __global__ void bn_lrelu_stats_f32(double* partial, const float* x, ChannelSplits g) {
    int ch = blockIdx.x / g.splits, split = blockIdx.x - ch * g.splits;
    StatsSums f = {x, x[(long long)ch * g.hw], 0.0f, 0.0f};
    channel_slice(g, ch, split, (g.hw & 3) == 0 && aligned16(x), f);
    write_partial2(partial, f.s, f.q);
}

// A thread per channel (a grid-stride loop: GridFor caps the grid): the batch mean and biased
// variance from the partial sums; running stats as PyTorch (the unbiased variance), skipped when
// their pointers are null.
extern "C" __global__ void bn_lrelu_finalize_f32(float* save_mean, float* save_inv_std, float* running_mean, float* running_var,
                                                 const double* partial, const float* x, ChannelSplits g, double momentum, double eps) {
    for (int ch = (int)global_thread(); ch < g.c; ch += (int)grid_threads()) {
        double s, q;
        channel_total2(partial, ch, g, s, q);
        double m = (double)g.n * g.hw;
        double d = s / m;
        double mean = (double)x[(long long)ch * g.hw] + d;
        double var = fmax(q / m - d * d, 0.0);
        save_mean[ch] = (float)mean;
        save_inv_std[ch] = (float)(1.0 / sqrt(var + eps));
        if (running_mean != nullptr) running_mean[ch] = (float)((1.0 - momentum) * running_mean[ch] + momentum * mean);
        if (running_var != nullptr) {
            double unbiased = m > 1.0 ? var * m / (m - 1.0) : __longlong_as_double(0x7ff8000000000000LL);
            running_var[ch] = (float)((1.0 - momentum) * running_var[ch] + momentum * unbiased);
        }
    }
}

// y = leaky(z) over every element; float4 when planes are whole float4s (a float4 then never
// straddles two channels).
extern "C" __global__ void bn_lrelu_apply_f32(float* y, const float* x, BnChannels p, float slope, ChannelSplits g) {
    unsigned int total = (unsigned int)g.n * g.c * g.hw;
    if ((g.hw & 3) == 0 && aligned16(y) && aligned16(x)) {
        unsigned int hw4 = (unsigned int)g.hw >> 2;
        for (long long i = global_thread(); i < (total >> 2); i += grid_threads()) {
            int ch = channel_of_four(i, hw4, g.c);
            float mean = p.mean[ch], scale = bn_scale(p, ch), beta = p.beta[ch];
            float4 v = reinterpret_cast<const float4*>(x)[i];
            v.x = leaky(bn_z(v.x - mean, scale, beta), slope);
            v.y = leaky(bn_z(v.y - mean, scale, beta), slope);
            v.z = leaky(bn_z(v.z - mean, scale, beta), slope);
            v.w = leaky(bn_z(v.w - mean, scale, beta), slope);
            reinterpret_cast<float4*>(y)[i] = v;
        }
        return;
    }
    for (long long i = global_thread(); i < total; i += grid_threads()) {
        int ch = (int)(((unsigned int)i / (unsigned int)g.hw) % (unsigned int)g.c);
        y[i] = leaky(bn_z(x[i] - p.mean[ch], bn_scale(p, ch), p.beta[ch]), slope);
    }
}

struct GradSums {
    const float* dy;
    const float* x;
    float mean, scale, beta, slope;
    float s, q;
    __device__ __forceinline__ void add(float d, float v) {
        float xc = v - mean;
        float gate = bn_z(xc, scale, beta) > 0.0f ? d : d * slope;
        s += gate;
        q = fmaf(gate, xc, q);
    }
    __device__ __forceinline__ void one(long long o) { add(dy[o], x[o]); }
    __device__ __forceinline__ void four(long long o) {
        float4 d = *reinterpret_cast<const float4*>(dy + o), v = *reinterpret_cast<const float4*>(x + o);
        add(d.x, v.x); add(d.y, v.y); add(d.z, v.z); add(d.w, v.w);
    }
};

// One block per (channel, split): partial sums of g and g (x - mean).
extern "C" __global__ void bn_lrelu_grad_sums_f32(double* partial, const float* dy, const float* x, BnChannels p, float slope, ChannelSplits g) {
    int ch = blockIdx.x / g.splits, split = blockIdx.x - ch * g.splits;
    GradSums f = {dy, x, p.mean[ch], bn_scale(p, ch), p.beta[ch], slope, 0.0f, 0.0f};
    channel_slice(g, ch, split, (g.hw & 3) == 0 && aligned16(dy) && aligned16(x), f);
    write_partial2(partial, f.s, f.q);
}

// A thread per channel (grid-stride): dbeta = sum g, dgamma = invstd sum g (x - mean), and dx's
// coefficients coef[3 ch + {0, 1, 2}] = a, b, shift with a = gamma invstd,
// b = -a invstd dgamma / m, shift = -a dbeta / m (the CPU reference's fold).
extern "C" __global__ void bn_lrelu_grad_finalize_f32(float* d_gamma, float* d_beta, float* coef, const double* partial, BnChannels p, ChannelSplits g) {
    for (int ch = (int)global_thread(); ch < g.c; ch += (int)grid_threads()) {
        double s, q;
        channel_total2(partial, ch, g, s, q);
        double m = (double)g.n * g.hw;
        double inv_std = p.inv_std[ch];
        double dg = q * inv_std;
        double a = (double)p.gamma[ch] * inv_std;
        d_beta[ch] = (float)s;
        d_gamma[ch] = (float)dg;
        coef[3 * ch] = (float)a;
        coef[3 * ch + 1] = (float)(-a * inv_std * dg / m);
        coef[3 * ch + 2] = (float)(-a * s / m);
    }
}

__device__ __forceinline__ float bn_dx(float d, float v, float mean, float scale, float beta, float slope, float a, float b, float shift) {
    float xc = v - mean;
    float gate = bn_z(xc, scale, beta) > 0.0f ? d : d * slope;
    return fmaf(a, gate, fmaf(b, xc, shift));
}

extern "C" __global__ void bn_lrelu_grad_input_f32(float* dx, const float* dy, const float* x, const float* coef, BnChannels p, float slope, ChannelSplits g) {
    unsigned int total = (unsigned int)g.n * g.c * g.hw;
    if ((g.hw & 3) == 0 && aligned16(dx) && aligned16(dy) && aligned16(x)) {
        unsigned int hw4 = (unsigned int)g.hw >> 2;
        for (long long i = global_thread(); i < (total >> 2); i += grid_threads()) {
            int ch = channel_of_four(i, hw4, g.c);
            float mean = p.mean[ch], scale = bn_scale(p, ch), beta = p.beta[ch];
            float a = coef[3 * ch], b = coef[3 * ch + 1], shift = coef[3 * ch + 2];
            float4 d = reinterpret_cast<const float4*>(dy)[i], v = reinterpret_cast<const float4*>(x)[i], r;
            r.x = bn_dx(d.x, v.x, mean, scale, beta, slope, a, b, shift);
            r.y = bn_dx(d.y, v.y, mean, scale, beta, slope, a, b, shift);
            r.z = bn_dx(d.z, v.z, mean, scale, beta, slope, a, b, shift);
            r.w = bn_dx(d.w, v.w, mean, scale, beta, slope, a, b, shift);
            reinterpret_cast<float4*>(dx)[i] = r;
        }
        return;
    }
    for (long long i = global_thread(); i < total; i += grid_threads()) {
        int ch = (int)(((unsigned int)i / (unsigned int)g.hw) % (unsigned int)g.c);
        dx[i] = bn_dx(dy[i], x[i], p.mean[ch], bn_scale(p, ch), p.beta[ch], slope, coef[3 * ch], coef[3 * ch + 1], coef[3 * ch + 2]);
    }
}
