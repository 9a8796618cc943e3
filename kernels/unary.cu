// y = f(x) for f in neg, exp, log, sqrt, abs.
#include "common.cuh"

struct NegOp { __device__ float operator()(float x) const { return -x; } };
struct ExpOp { __device__ float operator()(float x) const { return expf(x); } };
struct LogOp { __device__ float operator()(float x) const { return logf(x); } };
struct SqrtOp { __device__ float operator()(float x) const { return sqrtf(x); } };
struct AbsOp { __device__ float operator()(float x) const { return fabsf(x); } };

extern "C" __global__ void neg_f32(float* y, const float* x, int n) { pointwise1(y, x, n, NegOp()); }
extern "C" __global__ void exp_f32(float* y, const float* x, int n) { pointwise1(y, x, n, ExpOp()); }
extern "C" __global__ void log_f32(float* y, const float* x, int n) { pointwise1(y, x, n, LogOp()); }
extern "C" __global__ void sqrt_f32(float* y, const float* x, int n) { pointwise1(y, x, n, SqrtOp()); }
extern "C" __global__ void abs_f32(float* y, const float* x, int n) { pointwise1(y, x, n, AbsOp()); }
