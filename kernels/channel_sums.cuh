// Per-channel sums over NCHW for the fused ops that reduce each channel (batch norm + leaky relu,
// bias + activation): a block per (channel, range of images), each thread adding its share in
// float, the block and the ranges combining in double.
#pragma once
#include "common.cuh"

// Mirrored by Backends/Cuda/Kernels/ChannelSplits.cs.
struct ChannelSplits {
    int n, c, hw;  // images, channels, elements per plane
    int splits;    // ranges of images per channel (blocks per channel)
};

// Calls f.one(offset) for this thread's share of channel ch's elements in images
// [split * per, (split + 1) * per), or f.four(offset) per group of four when a plane is
// whole float4s (vec: hw % 4 == 0 and the pointers f reads are 16-byte aligned).
template <typename F>
__device__ __forceinline__ void channel_slice(const ChannelSplits& g, int ch, int split, bool vec, F& f) {
    int per = (g.n + g.splits - 1) / g.splits;
    int i0 = split * per;
    int i1 = i0 + per < g.n ? i0 + per : g.n;
    if (i1 <= i0) return;
    int w = vec ? g.hw >> 2 : g.hw;  // units of a plane
    int units = (i1 - i0) * w;
    for (int t = threadIdx.x; t < units; t += blockDim.x) {
        int q = t / w;
        long long plane = (long long)(i0 + q) * g.c + ch;
        int k = t - q * w;
        if (vec) f.four(plane * g.hw + 4 * k);
        else f.one(plane * g.hw + k);
    }
}

// The channel of float4 number i of a tensor whose planes are whole float4s (hw4 = hw / 4).
__device__ __forceinline__ int channel_of_four(long long i, unsigned int hw4, int c) {
    return (int)(((unsigned int)i / hw4) % (unsigned int)c);
}

__device__ __forceinline__ double warp_sum_d(double v) {
#pragma unroll
    for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_down_sync(0xffffffffu, v, offset);
    return v;
}

// (sum a, sum b) over the block, in double, valid in thread 0. Once per kernel: no sync before
// its shared scratch is written.
__device__ __forceinline__ void block_sum2(double& a, double& b) {
    __shared__ double warps[2][32];
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    a = warp_sum_d(a);
    b = warp_sum_d(b);
    if (lane == 0) { warps[0][warp] = a; warps[1][warp] = b; }
    __syncthreads();
    if (warp == 0) {
        bool live = lane < (int)(blockDim.x >> 5);
        a = warp_sum_d(live ? warps[0][lane] : 0.0);
        b = warp_sum_d(live ? warps[1][lane] : 0.0);
    }
}

// Thread 0 of a per-(channel, range) block writes the block's sums of a and b:
// partial[2 block + {0, 1}].
__device__ __forceinline__ void write_partial2(double* partial, double a, double b) {
    block_sum2(a, b);
    if (threadIdx.x == 0) {
        partial[2 * blockIdx.x] = a;
        partial[2 * blockIdx.x + 1] = b;
    }
}

// Channel ch's totals of a and b over its ranges, added in order (deterministic).
__device__ __forceinline__ void channel_total2(const double* partial, int ch, const ChannelSplits& g, double& a, double& b) {
    a = 0.0;
    b = 0.0;
    for (int k = 0; k < g.splits; ++k) {
        a += partial[2 * (ch * g.splits + k)];
        b += partial[2 * (ch * g.splits + k) + 1];
    }
}
