// Shared by every kernel file: grid-stride pointwise drivers with float4 paths, warp and block
// sums, the strided index of copies and broadcast binaries, and the pooling geometry.
// Compiled by NVRTC (which predefines float4, the math functions and the shuffles) and, for the
// PTX check only, by clang with kernels/clang_prelude.h.
#pragma once

#define RG_MAX_DIMS 8

// Offsets of up to three same-shaped views with any strides (0 = broadcast). The host collapses
// mergeable dimensions and right-aligns them: dimension d is used when d >= RG_MAX_DIMS - rank.
// Mirrored by Backends/Cuda/StridedIndex.cs; all ints, so the layouts agree without padding.
struct StridedIndex3 {
    int rank;
    int shape[RG_MAX_DIMS];
    int stride0[RG_MAX_DIMS];  // the output
    int stride1[RG_MAX_DIMS];  // the first input
    int stride2[RG_MAX_DIMS];  // the second input (unused by copies)
};

// NCHW pooling and resampling geometry, mirrored by Backends/Cuda/Kernels/PoolingKernels.cs.
struct Pool2d {
    int planes;      // N * C
    int h, w;        // input height and width
    int oh, ow;      // output height and width
    int kh, kw;      // window
    int sh, sw;      // stride
    int ph, pw;      // padding
};

__device__ __forceinline__ long long global_thread() {
    return (long long)blockIdx.x * blockDim.x + threadIdx.x;
}

__device__ __forceinline__ long long grid_threads() {
    return (long long)gridDim.x * blockDim.x;
}

__device__ __forceinline__ bool aligned16(const void* p) {
    return (reinterpret_cast<unsigned long long>(p) & 15ull) == 0;
}

// Element i of a StridedIndex3 as three element offsets. Unrolled over constant dimensions so
// the struct's fields stay in the parameter space instead of being copied to local memory.
__device__ __forceinline__ void strided_offsets(const StridedIndex3& s, unsigned int i,
                                                long long& o0, long long& o1, long long& o2) {
    o0 = 0; o1 = 0; o2 = 0;
#pragma unroll
    for (int d = RG_MAX_DIMS - 1; d >= 0; --d) {
        if (d < RG_MAX_DIMS - s.rank) break;
        unsigned int size = (unsigned int)s.shape[d];
        unsigned int q = i / size;
        long long r = (long long)(i - q * size);
        o0 += r * s.stride0[d];
        o1 += r * s.stride1[d];
        o2 += r * s.stride2[d];
        i = q;
    }
}

// out[i] = op(x[i]) over n elements of any types: four at a time (op.four, InVec to OutVec) when vec
// says both pointers are aligned for their vector types, two vectors per thread per step (both
// loads issued before either store, so more bytes are in flight: H100 needs about 2 MB outstanding
// to reach its bandwidth), then element by element (op.one). out may alias x (each element is read
// before it is written by the same thread), so no pointer is __restrict__.
template <typename InVec, typename OutVec, typename In, typename Out, typename Op>
__device__ __forceinline__ void map4(Out* out, const In* x, int n, bool vec, Op op) {
    long long start = global_thread(), step = grid_threads();
    long long head = 0;
    if (vec) {
        long long n4 = n >> 2;
        const InVec* x4 = reinterpret_cast<const InVec*>(x);
        OutVec* out4 = reinterpret_cast<OutVec*>(out);
        long long i = start;
        for (; i + step < n4; i += 2 * step) {
            InVec v0 = x4[i], v1 = x4[i + step];
            out4[i] = op.four(v0);
            out4[i + step] = op.four(v1);
        }
        for (; i < n4; i += step) out4[i] = op.four(x4[i]);
        head = n4 << 2;
    }
    for (long long i = head + start; i < n; i += step) out[i] = op.one(x[i]);
}

// A float op applied to each lane of a float4, for map4.
template <typename Op>
struct Lanes4 {
    Op op;
    __device__ __forceinline__ float4 four(float4 v) const {
        float4 r;
        r.x = op(v.x); r.y = op(v.y); r.z = op(v.z); r.w = op(v.w);
        return r;
    }
    __device__ __forceinline__ float one(float v) const { return op(v); }
};

// out[i] = op(x[i]) over n floats, float4 when both pointers are 16-byte aligned (map4).
template <typename Op>
__device__ __forceinline__ void pointwise1(float* out, const float* x, int n, Op op) {
    map4<float4, float4>(out, x, n, aligned16(out) && aligned16(x), Lanes4<Op>{op});
}

// out[i] = op(a[i], b[i]) over n elements, vectorised and unrolled as pointwise1.
template <typename Op>
__device__ __forceinline__ void pointwise2(float* out, const float* a, const float* b, int n, Op op) {
    long long start = global_thread(), step = grid_threads();
    long long head = 0;
    if (aligned16(out) && aligned16(a) && aligned16(b)) {
        long long n4 = n >> 2;
        const float4* a4 = reinterpret_cast<const float4*>(a);
        const float4* b4 = reinterpret_cast<const float4*>(b);
        float4* out4 = reinterpret_cast<float4*>(out);
        long long i = start;
        for (; i + step < n4; i += 2 * step) {
            float4 va0 = a4[i], vb0 = b4[i], va1 = a4[i + step], vb1 = b4[i + step];
            float4 r0, r1;
            r0.x = op(va0.x, vb0.x); r0.y = op(va0.y, vb0.y); r0.z = op(va0.z, vb0.z); r0.w = op(va0.w, vb0.w);
            r1.x = op(va1.x, vb1.x); r1.y = op(va1.y, vb1.y); r1.z = op(va1.z, vb1.z); r1.w = op(va1.w, vb1.w);
            out4[i] = r0;
            out4[i + step] = r1;
        }
        for (; i < n4; i += step) {
            float4 va = a4[i], vb = b4[i];
            float4 r;
            r.x = op(va.x, vb.x); r.y = op(va.y, vb.y); r.z = op(va.z, vb.z); r.w = op(va.w, vb.w);
            out4[i] = r;
        }
        head = n4 << 2;
    }
    for (long long i = head + start; i < n; i += step) out[i] = op(a[i], b[i]);
}

__device__ __forceinline__ float warp_sum(float v) {
#pragma unroll
    for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_down_sync(0xffffffffu, v, offset);
    return v;
}

// The sum of v over a block of up to 1024 threads (a multiple of 32), valid in thread 0.
// Safe to call repeatedly in a loop: it syncs before reusing its shared scratch.
__device__ __forceinline__ float block_sum(float v) {
    __shared__ float warps[32];
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    v = warp_sum(v);
    __syncthreads();
    if (lane == 0) warps[warp] = v;
    __syncthreads();
    if (warp == 0) {
        v = lane < (int)(blockDim.x >> 5) ? warps[lane] : 0.0f;
        v = warp_sum(v);
    }
    return v;
}

// Numerically stable logistic: never evaluates exp of a large positive number.
__device__ __forceinline__ float stable_sigmoid(float x) {
    if (x >= 0.0f) return 1.0f / (1.0f + expf(-x));
    float e = expf(x);
    return e / (1.0f + e);
}

// The upstream gradient of a mean loss: dLoss[0] * scale rounded to float as the CPU rounds it,
// read from device memory so the backward needs no host sync (and can be graph-captured).
__device__ __forceinline__ float loss_upstream(const float* dLoss, double scale) {
    return (float)((double)dLoss[0] * scale);
}

// Splits a flat index over [planes, h, w] (below 2^31, as every tensor's element count) into
// plane, row and column with 32-bit divisions: 64-bit ones are emulated and dominate the index
// math of the pooling and upsampling gathers.
__device__ __forceinline__ void split_plane_index(long long i, int h, int w, int& plane, int& row, int& col) {
    unsigned int flat = (unsigned int)i;
    unsigned int rest = flat / (unsigned int)w;
    col = (int)(flat - rest * (unsigned int)w);
    plane = (int)(rest / (unsigned int)h);
    row = (int)(rest - (unsigned int)plane * (unsigned int)h);
}
