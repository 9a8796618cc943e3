// float32 <-> bfloat16 (the upper 16 bits of a float32, held as unsigned short), as plain casts
// and as casts that also move NCHW to NHWC or back, for cuDNN's bf16 convolutions. Rounding is
// done with integer ops, bit for bit as src/RawGan.Tensors/BFloat16.cs (cuda_bf16.h is not
// included: NVRTC would need the toolkit's headers for it, and the hardware conversion may give a
// NaN other bits than BFloat16 does).
#include "common.cuh"

// Round to nearest, ties to even; a NaN whose payload sits in the low 16 bits alone would round
// to infinity, so every NaN is truncated and made quiet instead.
__device__ __forceinline__ unsigned int bf16_bits(float v) {
    unsigned int u = __float_as_uint(v);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (u >> 16) | 0x40u;
    u += 0x7fffu + ((u >> 16) & 1u);
    return u >> 16;
}

__device__ __forceinline__ float bf16_value(unsigned int bits) { return __uint_as_float(bits << 16); }

__device__ __forceinline__ bool aligned8(const void* p) {
    return (reinterpret_cast<unsigned long long>(p) & 7ull) == 0;
}

// Four floats to four bf16 in one 8-byte word (element 0 in the low half: little-endian).
__device__ __forceinline__ uint2 pack4(float4 v) {
    uint2 r;
    r.x = bf16_bits(v.x) | (bf16_bits(v.y) << 16);
    r.y = bf16_bits(v.z) | (bf16_bits(v.w) << 16);
    return r;
}

__device__ __forceinline__ float4 unpack4(uint2 b) {
    float4 r;
    r.x = bf16_value(b.x & 0xffffu); r.y = bf16_value(b.x >> 16);
    r.z = bf16_value(b.y & 0xffffu); r.w = bf16_value(b.y >> 16);
    return r;
}

struct ToBf16 {
    __device__ __forceinline__ uint2 four(float4 v) const { return pack4(v); }
    __device__ __forceinline__ unsigned short one(float v) const { return (unsigned short)bf16_bits(v); }
};

struct FromBf16 {
    __device__ __forceinline__ float4 four(uint2 b) const { return unpack4(b); }
    __device__ __forceinline__ float one(unsigned short b) const { return bf16_value(b); }
};

// y[i] = bf16(x[i]); float4 in and 8 bytes out when x is 16-byte and y 8-byte aligned (map4).
extern "C" __global__ void f32_to_bf16(unsigned short* y, const float* x, int n) {
    map4<float4, uint2>(y, x, n, aligned16(x) && aligned8(y), ToBf16{});
}

// y[i] = float(x[i]), exact; 8 bytes in and float4 out when aligned, as f32_to_bf16.
extern "C" __global__ void bf16_to_f32(float* y, const unsigned short* x, int n) {
    map4<uint2, float4>(y, x, n, aligned8(x) && aligned16(y), FromBf16{});
}

// The layout casts transpose each image's [c][hw] plane through a 32x32 tile in shared memory, so
// that a warp reads 32 consecutive elements of one layout and writes 32 consecutive elements of
// the other. Block 32x8 (each thread moves 4 elements per phase); grid (ceil(hw/32), ceil(c/32), n).
// Indices are ints: the host checks that n c hw fits one.
#define BF16_TILE 32
#define BF16_ROWS 8

// x [n][c][hw] float32 -> y [n][hw][c] bf16.
extern "C" __global__ void nchw_f32_to_nhwc_bf16(unsigned short* y, const float* x, int c, int hw) {
    // Padded by one float so the column reads of the second phase fall in 32 different banks.
    __shared__ float tile[BF16_TILE][BF16_TILE + 1];
    int p0 = blockIdx.x * BF16_TILE, c0 = blockIdx.y * BF16_TILE;
    const float* xn = x + blockIdx.z * c * hw;
    unsigned short* yn = y + blockIdx.z * c * hw;
    int p = p0 + threadIdx.x;
    for (int j = threadIdx.y; j < BF16_TILE; j += BF16_ROWS)
        if (c0 + j < c && p < hw) tile[j][threadIdx.x] = xn[(c0 + j) * hw + p];
    __syncthreads();
    int ch = c0 + threadIdx.x;
    for (int j = threadIdx.y; j < BF16_TILE; j += BF16_ROWS)
        if (p0 + j < hw && ch < c) yn[(p0 + j) * c + ch] = (unsigned short)bf16_bits(tile[threadIdx.x][j]);
}

// x [n][hw][c] bf16 -> y [n][c][hw] float32: the inverse, same tiling.
extern "C" __global__ void nhwc_bf16_to_nchw_f32(float* y, const unsigned short* x, int c, int hw) {
    __shared__ float tile[BF16_TILE][BF16_TILE + 1];
    int p0 = blockIdx.x * BF16_TILE, c0 = blockIdx.y * BF16_TILE;
    const unsigned short* xn = x + blockIdx.z * c * hw;
    float* yn = y + blockIdx.z * c * hw;
    int ch = c0 + threadIdx.x;
    for (int j = threadIdx.y; j < BF16_TILE; j += BF16_ROWS)
        if (p0 + j < hw && ch < c) tile[j][threadIdx.x] = bf16_value(xn[(p0 + j) * c + ch]);
    __syncthreads();
    int p = p0 + threadIdx.x;
    for (int j = threadIdx.y; j < BF16_TILE; j += BF16_ROWS)
        if (c0 + j < c && p < hw) yn[(c0 + j) * hw + p] = tile[threadIdx.x][j];
}
