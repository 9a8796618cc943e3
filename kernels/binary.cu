// z = a op b for op in add, sub, mul, div: a contiguous float4 form and a strided form for
// broadcast views (stride 0).
#include "common.cuh"

struct AddOp { __device__ float operator()(float a, float b) const { return a + b; } };
struct SubOp { __device__ float operator()(float a, float b) const { return a - b; } };
struct MulOp { __device__ float operator()(float a, float b) const { return a * b; } };
struct DivOp { __device__ float operator()(float a, float b) const { return a / b; } };

template <typename Op>
__device__ __forceinline__ void binary_strided(float* z, const float* a, const float* b, const StridedIndex3& index, int n, Op op) {
    for (long long i = global_thread(); i < n; i += grid_threads()) {
        long long oz, oa, ob;
        strided_offsets(index, (unsigned int)i, oz, oa, ob);
        z[oz] = op(a[oa], b[ob]);
    }
}

extern "C" __global__ void add_f32(float* z, const float* a, const float* b, int n) { pointwise2(z, a, b, n, AddOp()); }
extern "C" __global__ void sub_f32(float* z, const float* a, const float* b, int n) { pointwise2(z, a, b, n, SubOp()); }
extern "C" __global__ void mul_f32(float* z, const float* a, const float* b, int n) { pointwise2(z, a, b, n, MulOp()); }
extern "C" __global__ void div_f32(float* z, const float* a, const float* b, int n) { pointwise2(z, a, b, n, DivOp()); }

extern "C" __global__ void add_strided_f32(float* z, const float* a, const float* b, StridedIndex3 index, int n) { binary_strided(z, a, b, index, n, AddOp()); }
extern "C" __global__ void sub_strided_f32(float* z, const float* a, const float* b, StridedIndex3 index, int n) { binary_strided(z, a, b, index, n, SubOp()); }
extern "C" __global__ void mul_strided_f32(float* z, const float* a, const float* b, StridedIndex3 index, int n) { binary_strided(z, a, b, index, n, MulOp()); }
extern "C" __global__ void div_strided_f32(float* z, const float* a, const float* b, StridedIndex3 index, int n) { binary_strided(z, a, b, index, n, DivOp()); }
