// For the PTX check only (tests/RawGan.Tests/KernelPtxTests.cs): lets Debian's clang compile the
// kernels to PTX without the CUDA toolkit. NVRTC, which builds the kernels at run time,
// predefines all of this itself. Device math comes from clang's own CUDA wrappers, which call
// libdevice's __nv_* functions: left as external declarations in the PTX, as no link follows.
#define __global__ __attribute__((global))
#define __device__ __attribute__((device))
#define __shared__ __attribute__((shared))
#define __constant__ __attribute__((constant))
#define __host__ __attribute__((host))
#define __forceinline__ __inline__ __attribute__((always_inline))
#define __launch_bounds__(...) __attribute__((launch_bounds(__VA_ARGS__)))

// What clang's wrappers expect from the CUDA and C headers that are absent here.
#define CUDA_VERSION 12000
typedef __SIZE_TYPE__ size_t;
#define INT_MAX __INT_MAX__
#define INT_MIN (-__INT_MAX__ - 1)
#define HUGE_VAL __builtin_huge_val()
#define HUGE_VALF __builtin_huge_valf()

#include <__clang_cuda_builtin_vars.h>
#include <__clang_cuda_libdevice_declares.h>
#include <__clang_cuda_device_functions.h>
#include <__clang_cuda_math.h>

// NVRTC's vector types and the warp shuffle (clang's version lives in a header that needs CUDA's).
struct __attribute__((aligned(16))) float4 {
    float x, y, z, w;
};

struct __attribute__((aligned(8))) float2 {
    float x, y;
};

struct __attribute__((aligned(8))) uint2 {
    unsigned int x, y;
};

static __device__ __forceinline__ float __shfl_down_sync(unsigned int mask, float value, unsigned int delta) {
    return __nvvm_shfl_sync_down_f32(mask, value, delta, 0x1f);
}

// NVRTC overloads the shuffle for double; as two 32-bit halves, as its own header does.
static __device__ __forceinline__ double __shfl_down_sync(unsigned int mask, double value, unsigned int delta) {
    int lo = __nvvm_shfl_sync_down_i32(mask, __double2loint(value), delta, 0x1f);
    int hi = __nvvm_shfl_sync_down_i32(mask, __double2hiint(value), delta, 0x1f);
    return __hiloint2double(hi, lo);
}
