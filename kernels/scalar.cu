// y = x + s, y = x * s, y = x ^ s with a host scalar s (already rounded to float, as the CPU does).
#include "common.cuh"

struct AddScalarOp { float s; __device__ float operator()(float x) const { return x + s; } };
struct MulScalarOp { float s; __device__ float operator()(float x) const { return x * s; } };
struct PowScalarOp { float s; __device__ float operator()(float x) const { return powf(x, s); } };

extern "C" __global__ void add_scalar_f32(float* y, const float* x, float s, int n) { pointwise1(y, x, n, AddScalarOp{s}); }
extern "C" __global__ void mul_scalar_f32(float* y, const float* x, float s, int n) { pointwise1(y, x, n, MulScalarOp{s}); }
extern "C" __global__ void pow_scalar_f32(float* y, const float* x, float s, int n) { pointwise1(y, x, n, PowScalarOp{s}); }
