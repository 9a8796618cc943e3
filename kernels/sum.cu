// Sum of x viewed as [outer, n, inner] over n. Each kernel can split n into `splits` chunks of
// `chunk` elements and write partial sums that a second launch of the same kernel reduces (the
// host picks splits when outer * inner alone cannot fill the GPU). Float accumulation in a
// fixed order: results are deterministic run to run.
#include "common.cuh"

// v1: one thread per row, sequential. Kept for the benchmark's before/after.
extern "C" __global__ void sum_rows_f32_v1(float* y, const float* x, int rows, int n) {
    for (long long r = global_thread(); r < rows; r += grid_threads()) {
        float acc = 0.0f;
        for (int k = 0; k < n; ++k) acc += x[r * n + k];
        y[r] = acc;
    }
}

// inner == 1: y[r * splits + s] = sum of x[r * n + s * chunk, ...) over at most chunk elements.
// One block per (row, split): strided float4 loads, then a warp-shuffle block reduction.
extern "C" __global__ void sum_rows_f32(float* y, const float* x, int rows, int n, int splits, int chunk) {
    long long tasks = (long long)rows * splits;
    for (long long t = blockIdx.x; t < tasks; t += gridDim.x) {
        long long r = t / splits;
        long long begin = (t - r * splits) * (long long)chunk;
        long long end = begin + chunk < n ? begin + chunk : (long long)n;
        int len = end > begin ? (int)(end - begin) : 0;
        const float* p = x + r * n + begin;
        float acc = 0.0f;
        int head = 0;
        if (aligned16(p)) {
            int len4 = len >> 2;
#pragma unroll 4
            for (int i = threadIdx.x; i < len4; i += blockDim.x) {
                float4 v = reinterpret_cast<const float4*>(p)[i];
                acc += (v.x + v.y) + (v.z + v.w);
            }
            head = len4 << 2;
        }
        for (int i = head + threadIdx.x; i < len; i += blockDim.x) acc += p[i];
        acc = block_sum(acc);
        if (threadIdx.x == 0) y[t] = acc;
    }
}

// inner > 1: y[(s * outer + o) * inner + i] = sum over k in chunk s of x[(o * n + k) * inner + i].
// Blocks of 32 x 8 threads: the 32 x-threads read 32 adjacent columns (coalesced), the 8
// y-threads split the rows; a shared-memory pass adds the 8 partial columns.
extern "C" __global__ void sum_cols_f32(float* y, const float* x, int outer, int n, int inner, int splits, int chunk) {
    __shared__ float partial[8][33];
    int tiles = (inner + 31) >> 5;
    long long tasks = (long long)outer * tiles * splits;
    for (long long t = blockIdx.x; t < tasks; t += gridDim.x) {
        int tile = (int)(t % tiles);
        long long rest = t / tiles;
        int o = (int)(rest % outer);
        int s = (int)(rest / outer);
        int i = (tile << 5) + threadIdx.x;
        long long begin = (long long)s * chunk;
        long long end = begin + chunk < n ? begin + chunk : (long long)n;
        // Four rows per step into four accumulators: four independent loads in flight per thread.
        float acc0 = 0.0f, acc1 = 0.0f, acc2 = 0.0f, acc3 = 0.0f;
        if (i < inner) {
            const float* column = x + (long long)o * n * inner + i;
            long long k = begin + threadIdx.y, stride = blockDim.y;
            for (; k + 3 * stride < end; k += 4 * stride) {
                acc0 += column[k * inner];
                acc1 += column[(k + stride) * inner];
                acc2 += column[(k + 2 * stride) * inner];
                acc3 += column[(k + 3 * stride) * inner];
            }
            for (; k < end; k += stride) acc0 += column[k * inner];
        }
        partial[threadIdx.y][threadIdx.x] = (acc0 + acc1) + (acc2 + acc3);
        __syncthreads();
        if (threadIdx.y == 0) {
            float sum = 0.0f;
            for (int j = 0; j < (int)blockDim.y; ++j) sum += partial[j][threadIdx.x];
            if (i < inner) y[((long long)s * outer + o) * inner + i] = sum;
        }
        __syncthreads();
    }
}
