// uint8 -> float32 through a table of the 256 values: how image batches reach the device. The host
// copies the pixels as bytes (a quarter of the float batch over the bus and through the pinned
// staging buffer) and this kernel widens them, value[b] for byte b, the very floats the CPU's
// table holds, so both backends see the same batch bit for bit.
#include "common.cuh"

// The table, by value in the launch's parameters (1 KB): nothing to upload, and a captured graph
// keeps it with the launch.
struct ByteValues {
    float value[256];
};

// Four bytes read as one 32-bit word (byte 0 in the low bits: little-endian), four floats out.
struct WidenBytes {
    const float* table;
    __device__ __forceinline__ float4 four(unsigned int w) const {
        float4 r;
        r.x = table[w & 0xffu]; r.y = table[(w >> 8) & 0xffu];
        r.z = table[(w >> 16) & 0xffu]; r.w = table[w >> 24];
        return r;
    }
    __device__ __forceinline__ float one(unsigned char b) const { return table[b]; }
};

// y[i] = values.value[x[i]] over n elements; 4 bytes in and a float4 out when x is 4-byte and y
// 16-byte aligned (map4). Each block copies the table to shared memory first: a lookup indexed by
// data would otherwise go to the parameter bank, which serialises a warp's different addresses.
extern "C" __global__ void uint8_to_f32(float* y, const unsigned char* x, int n, ByteValues values) {
    __shared__ float table[256];
    for (int i = threadIdx.x; i < 256; i += blockDim.x) table[i] = values.value[i];
    __syncthreads();
    bool vec = (reinterpret_cast<unsigned long long>(x) & 3ull) == 0 && aligned16(y);
    map4<unsigned int, float4>(y, x, n, vec, WidenBytes{table});
}
