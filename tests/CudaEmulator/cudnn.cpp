// Emulated cuDNN (libcudnn.so.9): the descriptor ("legacy") API that Interop/Cudnn.cs binds,
// computed on the host. Types, enum values and signatures are those of cuDNN 9.6.0's
// cudnn_graph.h, cudnn_ops.h and cudnn_cnn.h; a device pointer is a host pointer.
//
// Arguments are checked when called, as cuDNN checks them, and a failure leaves its reason for
// cudnnGetLastErrorString. The computation is queued on the handle's stream through emu::submit,
// holding the scalars and copies of the descriptors, so that a captured graph replays the call as
// it was made even after the descriptors have changed. Tensors of any strides are gathered into
// dense float NCHW scratch, computed on (convolutions as im2col + one blocked GEMM, accumulating in
// float) and stored back blended with alpha and beta. Data types: FLOAT, and BFLOAT16 read as
// bfloat16, computed in float and stored rounded to nearest even.
#include "submit.h"

#include <algorithm>
#include <cmath>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

// The headers' types. Enums get a fixed underlying type: any int the caller passes is then a value
// to check, not undefined behaviour.
enum cudnnStatus_t : int {
    CUDNN_STATUS_SUCCESS = 0,
    CUDNN_STATUS_BAD_PARAM = 2000,
    CUDNN_STATUS_NOT_SUPPORTED = 3000,
    CUDNN_STATUS_EXECUTION_FAILED_CUDA_DRIVER = 5001,
};
enum cudnnDataType_t : int {
    CUDNN_DATA_FLOAT = 0, CUDNN_DATA_DOUBLE = 1, CUDNN_DATA_HALF = 2, CUDNN_DATA_INT8 = 3, CUDNN_DATA_INT32 = 4,
    CUDNN_DATA_INT8x4 = 5, CUDNN_DATA_UINT8 = 6, CUDNN_DATA_UINT8x4 = 7, CUDNN_DATA_INT8x32 = 8,
    CUDNN_DATA_BFLOAT16 = 9, CUDNN_DATA_INT64 = 10, CUDNN_DATA_BOOLEAN = 11, CUDNN_DATA_FP8_E4M3 = 12,
    CUDNN_DATA_FP8_E5M2 = 13, CUDNN_DATA_FAST_FLOAT_FOR_FP8 = 14,
};
enum cudnnMathType_t : int {
    CUDNN_DEFAULT_MATH = 0, CUDNN_TENSOR_OP_MATH = 1, CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION = 2, CUDNN_FMA_MATH = 3,
};
enum cudnnNanPropagation_t : int { CUDNN_NOT_PROPAGATE_NAN = 0, CUDNN_PROPAGATE_NAN = 1 };
enum cudnnTensorFormat_t : int { CUDNN_TENSOR_NCHW = 0, CUDNN_TENSOR_NHWC = 1, CUDNN_TENSOR_NCHW_VECT_C = 2 };
enum cudnnConvolutionMode_t : int { CUDNN_CONVOLUTION = 0, CUDNN_CROSS_CORRELATION = 1 };
enum cudnnDeterminism_t : int { CUDNN_NON_DETERMINISTIC = 0, CUDNN_DETERMINISTIC = 1 };
enum cudnnConvolutionFwdAlgo_t : int {
    CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM = 0, CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM = 1,
    CUDNN_CONVOLUTION_FWD_ALGO_GEMM = 2, CUDNN_CONVOLUTION_FWD_ALGO_DIRECT = 3, CUDNN_CONVOLUTION_FWD_ALGO_FFT = 4,
    CUDNN_CONVOLUTION_FWD_ALGO_FFT_TILING = 5, CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD = 6,
    CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD_NONFUSED = 7, CUDNN_CONVOLUTION_FWD_ALGO_COUNT = 8,
};
enum cudnnConvolutionBwdDataAlgo_t : int {
    CUDNN_CONVOLUTION_BWD_DATA_ALGO_0 = 0, CUDNN_CONVOLUTION_BWD_DATA_ALGO_1 = 1, CUDNN_CONVOLUTION_BWD_DATA_ALGO_FFT = 2,
    CUDNN_CONVOLUTION_BWD_DATA_ALGO_FFT_TILING = 3, CUDNN_CONVOLUTION_BWD_DATA_ALGO_WINOGRAD = 4,
    CUDNN_CONVOLUTION_BWD_DATA_ALGO_WINOGRAD_NONFUSED = 5, CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT = 6,
};
enum cudnnConvolutionBwdFilterAlgo_t : int {
    CUDNN_CONVOLUTION_BWD_FILTER_ALGO_0 = 0, CUDNN_CONVOLUTION_BWD_FILTER_ALGO_1 = 1,
    CUDNN_CONVOLUTION_BWD_FILTER_ALGO_FFT = 2, CUDNN_CONVOLUTION_BWD_FILTER_ALGO_3 = 3,
    CUDNN_CONVOLUTION_BWD_FILTER_ALGO_WINOGRAD = 4, CUDNN_CONVOLUTION_BWD_FILTER_ALGO_WINOGRAD_NONFUSED = 5,
    CUDNN_CONVOLUTION_BWD_FILTER_ALGO_FFT_TILING = 6, CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT = 7,
};
enum cudnnBatchNormMode_t : int {
    CUDNN_BATCHNORM_PER_ACTIVATION = 0, CUDNN_BATCHNORM_SPATIAL = 1, CUDNN_BATCHNORM_SPATIAL_PERSISTENT = 2,
};
enum cudnnPoolingMode_t : int {
    CUDNN_POOLING_MAX = 0, CUDNN_POOLING_AVERAGE_COUNT_INCLUDE_PADDING = 1,
    CUDNN_POOLING_AVERAGE_COUNT_EXCLUDE_PADDING = 2, CUDNN_POOLING_MAX_DETERMINISTIC = 3,
};
enum libraryPropertyType : int { MAJOR_VERSION = 0, MINOR_VERSION = 1, PATCH_LEVEL = 2 };

typedef struct CUstream_st* cudaStream_t;
typedef struct cudnnContext* cudnnHandle_t;
typedef struct cudnnTensorStruct* cudnnTensorDescriptor_t;
typedef struct cudnnFilterStruct* cudnnFilterDescriptor_t;
typedef struct cudnnConvolutionStruct* cudnnConvolutionDescriptor_t;
typedef struct cudnnPoolingStruct* cudnnPoolingDescriptor_t;

// cudnn_cnn.h's three perf structs, which differ only in the algorithm's enum.
template <class Algo> struct cudnnAlgoPerf {
    Algo algo;
    cudnnStatus_t status;
    float time;
    size_t memory;
    cudnnDeterminism_t determinism;
    cudnnMathType_t mathType;
    int reserved[3];
};
typedef cudnnAlgoPerf<cudnnConvolutionFwdAlgo_t> cudnnConvolutionFwdAlgoPerf_t;
typedef cudnnAlgoPerf<cudnnConvolutionBwdDataAlgo_t> cudnnConvolutionBwdDataAlgoPerf_t;
typedef cudnnAlgoPerf<cudnnConvolutionBwdFilterAlgo_t> cudnnConvolutionBwdFilterAlgoPerf_t;

// A tensor as a descriptor gives it: element type, then dims and strides in elements, outermost
// first (N, C, then the spatial dims, whatever the order in memory).
struct Layout {
    cudnnDataType_t type = CUDNN_DATA_FLOAT;
    int rank = 0;
    int dim[8] = {};
    long long stride[8] = {};

    long long count() const
    {
        long long n = 1;
        for (int d = 0; d < rank; ++d) n *= dim[d];
        return n;
    }
    bool packed() const  // dense in logical (NCHW) order
    {
        long long s = 1;
        for (int d = rank - 1; d >= 0; s *= dim[d--])
            if (dim[d] > 1 && stride[d] != s) return false;
        return true;
    }
    bool same_dims(const Layout& o) const { return rank == o.rank && std::equal(dim, dim + rank, o.dim); }
};

struct cudnnContext {
    cudaStream_t stream = nullptr;
};
struct cudnnTensorStruct {
    Layout t;
    bool set = false;
};
struct cudnnFilterStruct {
    Layout t;  // dims K, C per group, R, S; strides from the format (KCRS or KRSC)
    bool set = false;
};
struct cudnnConvolutionStruct {
    int pad[2] = {}, stride[2] = {1, 1}, dilation[2] = {1, 1}, groups = 1;
    cudnnConvolutionMode_t mode = CUDNN_CROSS_CORRELATION;
    cudnnDataType_t compute = CUDNN_DATA_FLOAT;
    cudnnMathType_t math = CUDNN_DEFAULT_MATH;  // recorded and reported by the algorithm queries only
    bool set = false;
};
struct cudnnPoolingStruct {
    cudnnPoolingMode_t mode = CUDNN_POOLING_MAX;
    bool propagate_nan = false;
    int window[2] = {}, pad[2] = {}, stride[2] = {};
    bool set = false;
};

namespace {
constexpr int Major = 9, Minor = 6, Patch = 0;  // reported as cuDNN 9.6.0, the headers' version
constexpr double BnMinEpsilon = 0.0;            // CUDNN_BN_MIN_EPSILON in cuDNN 9 (1e-5 before)

// ---- errors ----

thread_local std::string last_error;

[[gnu::format(printf, 3, 4)]] cudnnStatus_t fail(cudnnStatus_t status, const char* fn, const char* format, ...)
{
    char text[512];
    va_list args;
    va_start(args, format);
    std::vsnprintf(text, sizeof text, format, args);
    va_end(args);
    last_error = std::string(fn) + ": " + text;
    return status;
}

struct Named {
    const char* name;
    const void* p;
};

// BAD_PARAM naming the first NULL among the pointers a call requires.
cudnnStatus_t nonnull(const char* fn, std::initializer_list<Named> args)
{
    for (auto& a : args)
        if (!a.p) return fail(CUDNN_STATUS_BAD_PARAM, fn, "%s is NULL", a.name);
    return CUDNN_STATUS_SUCCESS;
}

// A descriptor a call reads must exist and have been set.
template <class D> cudnnStatus_t ready(const char* fn, const char* name, const D* d)
{
    if (!d) return fail(CUDNN_STATUS_BAD_PARAM, fn, "%s is NULL", name);
    if (!d->set) return fail(CUDNN_STATUS_BAD_PARAM, fn, "%s has not been set", name);
    return CUDNN_STATUS_SUCCESS;
}

// A tensor an operation reads or writes: set, and without the negative strides cuDNN refuses.
cudnnStatus_t operand(const char* fn, const char* name, const cudnnTensorStruct* d)
{
    if (auto s = ready(fn, name, d)) return s;
    for (int i = 0; i < d->t.rank; ++i)
        if (d->t.stride[i] < 0) return fail(CUDNN_STATUS_NOT_SUPPORTED, fn, "%s has a negative stride", name);
    return CUDNN_STATUS_SUCCESS;
}

std::string describe(const Layout& t)
{
    std::string s = t.type == CUDNN_DATA_FLOAT ? "float" : t.type == CUDNN_DATA_BFLOAT16 ? "bfloat16" : "type " + std::to_string(t.type);
    for (int d = 0; d < t.rank; ++d) s += (d ? ", " : " [") + std::to_string(t.dim[d]);
    return s + "]";
}

// The element types the emulation computes on; cuDNN's other types are NOT_SUPPORTED here.
cudnnStatus_t computable(const char* fn, const Layout& t)
{
    if (t.type == CUDNN_DATA_FLOAT || t.type == CUDNN_DATA_BFLOAT16) return CUDNN_STATUS_SUCCESS;
    return fail(CUDNN_STATUS_NOT_SUPPORTED, fn, "data type %d: the emulation computes on FLOAT and BFLOAT16 only", t.type);
}

// t must have x's dims and type (y, dy and dx of x).
cudnnStatus_t alike(const char* fn, const char* name, const Layout& t, const char* ref, const Layout& x)
{
    if (t.same_dims(x) && t.type == x.type) return CUDNN_STATUS_SUCCESS;
    return fail(CUDNN_STATUS_BAD_PARAM, fn, "%s is %s but %s is %s", name, describe(t).c_str(), ref, describe(x).c_str());
}

// ---- layouts, and moving tensors to and from dense float scratch ----

// A packed layout of dims (N, C, spatial...): NCHW order, or channels innermost (NHWC).
Layout packed_layout(cudnnDataType_t type, int rank, const int* dim, bool channels_last)
{
    Layout t;
    t.type = type;
    t.rank = rank;
    std::copy(dim, dim + rank, t.dim);
    long long s = channels_last ? dim[1] : 1;
    for (int d = rank - 1; d >= (channels_last ? 2 : 0); --d) t.stride[d] = s, s *= dim[d];
    if (channels_last) t.stride[1] = 1, t.stride[0] = s;
    return t;
}

// What every tensor and filter setter checks, before the layout is stored.
template <class D> cudnnStatus_t store_layout(const char* fn, D* desc, const Layout& t)
{
    if (auto s = nonnull(fn, {{"the descriptor", desc}})) return s;
    if (t.type < CUDNN_DATA_FLOAT || t.type > CUDNN_DATA_FAST_FLOAT_FOR_FP8)
        return fail(CUDNN_STATUS_BAD_PARAM, fn, "%d is not a cudnnDataType_t", t.type);
    double count = 1;  // in double: eight int dims can overflow any integer
    for (int d = 0; d < t.rank; ++d) {
        if (t.dim[d] <= 0) return fail(CUDNN_STATUS_BAD_PARAM, fn, "dimension %d is %d; dimensions must be positive", d, t.dim[d]);
        count *= t.dim[d];
    }
    if (count > 2147483647.0) return fail(CUDNN_STATUS_NOT_SUPPORTED, fn, "%.0f elements; cuDNN's limit is 2^31 - 1", count);
    desc->t = t;
    desc->set = true;
    return CUDNN_STATUS_SUCCESS;
}

// The 4-d setters: packed, in the format's order (NCHW / KCRS, or NHWC / KRSC for filters).
template <class D> cudnnStatus_t store_4d(const char* fn, D* desc, cudnnTensorFormat_t format, cudnnDataType_t type, int n, int c, int h, int w)
{
    if (auto s = nonnull(fn, {{"the descriptor", desc}})) return s;
    if (format == CUDNN_TENSOR_NCHW_VECT_C) return fail(CUDNN_STATUS_NOT_SUPPORTED, fn, "the emulation has no vectorised (NCHW_VECT_C) layouts");
    if (format != CUDNN_TENSOR_NCHW && format != CUDNN_TENSOR_NHWC) return fail(CUDNN_STATUS_BAD_PARAM, fn, "%d is not a cudnnTensorFormat_t", format);
    int dim[4] = {n, c, h, w};
    return store_layout(fn, desc, packed_layout(type, 4, dim, format == CUDNN_TENSOR_NHWC));
}

float load(float v) { return v; }
float load(uint16_t h)
{
    uint32_t u = uint32_t(h) << 16;
    float f;
    std::memcpy(&f, &u, 4);
    return f;
}
void put(float& o, float v) { o = v; }
void put(uint16_t& o, float v)
{
    uint32_t u;
    std::memcpy(&u, &v, 4);
    // Round to nearest even. A NaN whose payload lies in the dropped bits would turn into an
    // infinity: it keeps a quiet bit instead.
    o = std::isnan(v) ? uint16_t((u >> 16) | 0x40) : uint16_t((u + 0x7FFF + ((u >> 16) & 1)) >> 16);
}

// Calls row(i, at) for each innermost row of t in logical order: row i is elements
// [i * inner, (i + 1) * inner) of the dense copy and starts at element `at` of t's memory. The
// outer indices step like an odometer, so no element's offset is computed from scratch.
template <class F> void for_rows(const Layout& t, F row)
{
    int last = t.rank - 1, index[8] = {};
    long long rows = t.count() / t.dim[last], at = 0;
    for (long long i = 0; i < rows; ++i) {
        row(i, at);
        for (int d = last - 1; d >= 0; --d) {
            at += t.stride[d];
            if (++index[d] < t.dim[d]) break;
            at -= t.stride[d] * t.dim[d];
            index[d] = 0;
        }
    }
}

template <class T> void gather_as(const Layout& t, const T* p, float* out)
{
    long long n = t.dim[t.rank - 1], s = t.stride[t.rank - 1];
    for_rows(t, [&](long long i, long long at) {
        for (long long j = 0; j < n; ++j) out[i * n + j] = load(p[at + j * s]);
    });
}

// t's elements, in logical order, as floats.
void gather(const Layout& t, const void* p, float* out)
{
    if (t.type == CUDNN_DATA_BFLOAT16) gather_as(t, static_cast<const uint16_t*>(p), out);
    else gather_as(t, static_cast<const float*>(p), out);
}

template <class T> void store_as(const Layout& t, T* p, const float* v, float alpha, float beta)
{
    long long n = t.dim[t.rank - 1], s = t.stride[t.rank - 1];
    for_rows(t, [&](long long i, long long at) {
        for (long long j = 0; j < n; ++j) {
            T& o = p[at + j * s];
            float r = alpha * v[i * n + j];
            put(o, beta != 0 ? r + beta * load(o) : r);
        }
    });
}

// t = alpha * v + beta * t, v in logical order. With beta 0 the prior t is not read: cuDNN
// documents that it is then ignored, so callers may leave it uninitialised (NaN and all).
void store(const Layout& t, void* p, const float* v, float alpha = 1, float beta = 0)
{
    if (t.type == CUDNN_DATA_BFLOAT16) store_as(t, static_cast<uint16_t*>(p), v, alpha, beta);
    else store_as(t, static_cast<float*>(p), v, alpha, beta);
}

using Scratch = std::unique_ptr<float[]>;

// A dense float copy of t, or t itself when it already is one.
const float* dense_in(const Layout& t, const void* p, Scratch& keep)
{
    if (t.type == CUDNN_DATA_FLOAT && t.packed()) return static_cast<const float*>(p);
    keep.reset(new float[t.count()]);
    gather(t, p, keep.get());
    return keep.get();
}

// Where to compute t's new values: t itself when they go in as they are, else scratch that
// finish() blends in.
float* dense_out(const Layout& t, void* p, float alpha, float beta, Scratch& keep)
{
    if (t.type == CUDNN_DATA_FLOAT && t.packed() && alpha == 1 && beta == 0) return static_cast<float*>(p);
    keep.reset(new float[t.count()]);
    return keep.get();
}

void finish(const Layout& t, void* p, const float* v, float alpha, float beta)
{
    if (v != p) store(t, p, v, alpha, beta);
}

float scalar(const void* p) { return *static_cast<const float*>(p); }

// Queues work on the handle's stream: run now, or recorded while the stream is captured.
template <class F> cudnnStatus_t queue(const char* fn, cudnnHandle_t handle, F work)
{
    int result = emu::submit(handle->stream, std::move(work));
    if (result) return fail(CUDNN_STATUS_EXECUTION_FAILED_CUDA_DRIVER, fn, "the stream did not take the work (CUresult %d)", result);
    return CUDNN_STATUS_SUCCESS;
}

// ---- threads and the GEMM ----

int workers() { return int(std::max(1u, std::thread::hardware_concurrency())); }

// body(worker, begin, end) over [0, count), one contiguous chunk per thread. A thread per 4
// MFLOP or so of `flops`: fewer would not repay starting it.
template <class F> void parallel_for(long long count, double flops, F body)
{
    int threads = int(std::max(1.0, std::min({double(workers()), double(count), flops / 4e6})));
    auto lo = [&](int t) { return count * t / threads; };
    std::vector<std::thread> pool;
    for (int t = 1; t < threads; ++t) {
        try {
            pool.emplace_back(body, t, lo(t), lo(t + 1));
        } catch (const std::system_error&) {
            body(t, lo(t), lo(t + 1));  // no thread to be had: this one does that chunk
        }
    }
    body(0, lo(0), lo(1));
    for (auto& thread : pool) thread.join();
}

// Four rows of c += their a times one row of b: b is loaded once for the four, and the loop is
// contiguous, so it vectorises. Built for AVX-512 and AVX2 too, picked at load time: the build line
// targets the baseline (SSE2), which would leave a CI machine's wider units idle.
[[gnu::target_clones("avx512f", "avx2", "default")]] void axpy4(int n, const float* __restrict b, float a0, float a1, float a2, float a3, float* __restrict c0,
    float* __restrict c1, float* __restrict c2, float* __restrict c3)
{
    for (int j = 0; j < n; ++j) {
        float v = b[j];
        c0[j] += a0 * v;
        c1[j] += a1 * v;
        c2[j] += a2 * v;
        c3[j] += a3 * v;
    }
}

[[gnu::target_clones("avx512f", "avx2", "default")]] void axpy1(int n, const float* __restrict b, float a, float* __restrict c)
{
    for (int j = 0; j < n; ++j) c[j] += a * b[j];
}

// c[i][j] += sum over l of a(i, l) * b[l][j], for i < m, j < n, l < k, where a(i, l) is
// a[i * ai + l * al] (so a may be read transposed) and b, c are row-major with leading dimensions
// ldb, ldc. Blocked so that the block of b the inner loops sweep stays in cache.
void gemm(int m, long long n, long long k, const float* a, long long ai, long long al, const float* b, long long ldb,
    float* c, long long ldc)
{
    constexpr long long NB = 256, KB = 128;
    for (long long j0 = 0; j0 < n; j0 += NB) {
        int width = int(std::min(NB, n - j0));
        for (long long l0 = 0; l0 < k; l0 += KB) {
            long long l1 = std::min(k, l0 + KB);
            int i = 0;
            for (; i + 4 <= m; i += 4) {
                float* ci = c + i * ldc + j0;
                for (long long l = l0; l < l1; ++l) {
                    const float* ail = a + i * ai + l * al;
                    axpy4(width, b + l * ldb + j0, ail[0], ail[ai], ail[2 * ai], ail[3 * ai], ci, ci + ldc, ci + 2 * ldc, ci + 3 * ldc);
                }
            }
            for (; i < m; ++i)
                for (long long l = l0; l < l1; ++l) axpy1(width, b + l * ldb + j0, a[i * ai + l * al], c + i * ldc + j0);
        }
    }
}

// ---- pooling ----

// One 2-d pooling, dense: `planes` (N x C) images of H x W into P x Q.
struct Pool {
    long long planes;
    int h, w, p, q, wh, ww, pad_h, pad_w, u, v;
    cudnnPoolingMode_t mode;
    bool propagate_nan;

    bool max() const { return mode == CUDNN_POOLING_MAX || mode == CUDNN_POOLING_MAX_DETERMINISTIC; }
};

// f(plane, o, h0, h1, w0, w1) for output pixel o of every plane, [h0, h1) x [w0, w1) being the part
// of its window inside the image; planes are shared among threads.
template <class F> void for_windows(const Pool& g, F f)
{
    parallel_for(g.planes, 2.0 * g.planes * g.p * g.q * g.wh * g.ww, [&](int, long long a, long long b) {
        for (long long plane = a; plane < b; ++plane)
            for (int oh = 0; oh < g.p; ++oh)
                for (int ow = 0; ow < g.q; ++ow) {
                    int h0 = oh * g.u - g.pad_h, w0 = ow * g.v - g.pad_w;
                    f(plane, (long long)oh * g.q + ow, std::max(h0, 0), std::min(h0 + g.wh, g.h), std::max(w0, 0),
                        std::min(w0 + g.ww, g.w));
                }
    });
}

// Where in the plane a window's max is, or -1 if there is none to take (a window all padding, or
// all NaN while NaN is not propagated). Ties go to the first; a propagated NaN wins at once.
long long argmax(const Pool& g, const float* plane, int h0, int h1, int w0, int w1)
{
    long long best = -1;
    for (int i = h0; i < h1; ++i)
        for (int j = w0; j < w1; ++j) {
            long long at = (long long)i * g.w + j;
            if (std::isnan(plane[at])) {
                if (g.propagate_nan) return at;
            } else if (best < 0 || plane[at] > plane[best]) {
                best = at;
            }
        }
    return best;
}

// The average's divisor: the whole window, or only the part of it inside the image.
int divisor(const Pool& g, int h0, int h1, int w0, int w1)
{
    return g.mode == CUDNN_POOLING_AVERAGE_COUNT_INCLUDE_PADDING ? g.wh * g.ww : (h1 - h0) * (w1 - w0);
}

void pool_forward(const Pool& g, const float* x, float* y)
{
    for_windows(g, [&](long long plane, long long o, int h0, int h1, int w0, int w1) {
        const float* in = x + plane * g.h * g.w;
        float& out = y[plane * g.p * g.q + o];
        if (g.max()) {
            long long at = argmax(g, in, h0, h1, w0, w1);
            out = at < 0 ? -INFINITY : in[at];
            return;
        }
        float sum = 0;
        for (int i = h0; i < h1; ++i)
            for (int j = w0; j < w1; ++j) sum += in[(long long)i * g.w + j];
        int d = divisor(g, h0, h1, w0, w1);
        out = d ? sum / float(d) : 0.f;
    });
}

// The max's gradient goes to where x has the max (found again from x), an average's is shared
// by its window.
void pool_backward(const Pool& g, const float* x, const float* dy, float* dx)
{
    std::fill(dx, dx + g.planes * g.h * g.w, 0.f);
    for_windows(g, [&](long long plane, long long o, int h0, int h1, int w0, int w1) {
        float* out = dx + plane * g.h * g.w;
        float grad = dy[plane * g.p * g.q + o];
        if (g.max()) {
            long long at = argmax(g, x + plane * g.h * g.w, h0, h1, w0, w1);
            if (at >= 0) out[at] += grad;
            return;
        }
        int d = divisor(g, h0, h1, w0, w1);
        for (int i = h0; i < h1; ++i)
            for (int j = w0; j < w1; ++j) out[(long long)i * g.w + j] += grad / float(d);
    });
}

// The pooling of x into y that the descriptors describe: 2-d, y of the size
// cudnnGetPooling2dForwardOutputDim gives, 1 + (H + 2 * pad - window) / stride.
cudnnStatus_t pool_check(const char* fn, const cudnnPoolingStruct* pool, const cudnnTensorStruct* xDesc, const char* xName,
    const cudnnTensorStruct* yDesc, const char* yName, Pool* g)
{
    if (auto s = ready(fn, "poolingDesc", pool)) return s;
    if (auto s = operand(fn, xName, xDesc)) return s;
    if (auto s = operand(fn, yName, yDesc)) return s;
    const Layout &x = xDesc->t, &y = yDesc->t;
    if (x.rank != 4 || y.rank != 4) return fail(CUDNN_STATUS_NOT_SUPPORTED, fn, "the emulation pools 4-d tensors only");
    if (x.type != y.type) return fail(CUDNN_STATUS_BAD_PARAM, fn, "%s is %s but %s is %s", xName, describe(x).c_str(), yName, describe(y).c_str());
    if (auto s = computable(fn, x)) return s;
    *g = {(long long)x.dim[0] * x.dim[1], x.dim[2], x.dim[3], 0, 0, pool->window[0], pool->window[1], pool->pad[0], pool->pad[1],
        pool->stride[0], pool->stride[1], pool->mode, pool->propagate_nan};
    if (g->wh > g->h + 2LL * g->pad_h || g->ww > g->w + 2LL * g->pad_w)
        return fail(CUDNN_STATUS_BAD_PARAM, fn, "the %d x %d window is larger than the padded %s", g->wh, g->ww, xName);
    g->p = int(1 + (g->h + 2LL * g->pad_h - g->wh) / g->u);
    g->q = int(1 + (g->w + 2LL * g->pad_w - g->ww) / g->v);
    int want[4] = {x.dim[0], x.dim[1], g->p, g->q};
    if (!std::equal(want, want + 4, y.dim))
        return fail(CUDNN_STATUS_BAD_PARAM, fn, "%s is %s; pooling %s makes [%d, %d, %d, %d]", yName, describe(y).c_str(), xName, want[0],
            want[1], want[2], want[3]);
    return CUDNN_STATUS_SUCCESS;
}

// ---- batch normalization ----

// A batch norm's statistics: P of them (C, or C x spatial per activation), each over the N x Q
// elements (Q: the spatial size, or 1 per activation) at (n * P + p) * Q + q of dense x.
struct Norm {
    long long n, p, q;
    long long count() const { return n * q; }
};

// The descriptor cudnnDeriveBNTensorDescriptor gives for x: 1 x C x 1 x 1 (spatial modes) or
// 1 x C x H x W (per activation), packed; float for float, bfloat16 and half data.
Layout derived(const Layout& x, cudnnBatchNormMode_t mode)
{
    int dim[8];
    std::copy(x.dim, x.dim + x.rank, dim);
    dim[0] = 1;
    if (mode != CUDNN_BATCHNORM_PER_ACTIVATION) std::fill(dim + 2, dim + x.rank, 1);
    return packed_layout(x.type == CUDNN_DATA_DOUBLE ? CUDNN_DATA_DOUBLE : CUDNN_DATA_FLOAT, x.rank, dim, false);
}

cudnnStatus_t bn_mode(const char* fn, cudnnBatchNormMode_t mode, const Layout& x)
{
    if (mode < CUDNN_BATCHNORM_PER_ACTIVATION || mode > CUDNN_BATCHNORM_SPATIAL_PERSISTENT)
        return fail(CUDNN_STATUS_BAD_PARAM, fn, "%d is not a cudnnBatchNormMode_t", mode);
    if (x.rank != 4 && x.rank != 5) return fail(CUDNN_STATUS_BAD_PARAM, fn, "xDesc has %d dimensions; batch norm takes 4 or 5", x.rank);
    return CUDNN_STATUS_SUCCESS;
}

// What the three batch norm calls check alike: the mode, x, the statistics' descriptor and eps.
cudnnStatus_t bn_shape(const char* fn, cudnnBatchNormMode_t mode, const cudnnTensorStruct* xDesc,
    const char* statsName, const cudnnTensorStruct* statsDesc, double epsilon, Norm* norm)
{
    if (auto s = operand(fn, "xDesc", xDesc)) return s;
    if (auto s = operand(fn, statsName, statsDesc)) return s;
    const Layout &x = xDesc->t, &stats = statsDesc->t;
    if (auto s = bn_mode(fn, mode, x)) return s;
    if (auto s = computable(fn, x)) return s;
    Layout want = derived(x, mode);
    if (!stats.same_dims(want) || stats.type != want.type)
        return fail(CUDNN_STATUS_BAD_PARAM, fn, "%s is %s; mode %d with x %s takes %s", statsName, describe(stats).c_str(), mode,
            describe(x).c_str(), describe(want).c_str());
    if (!(epsilon >= BnMinEpsilon)) return fail(CUDNN_STATUS_BAD_PARAM, fn, "epsilon %g is below CUDNN_BN_MIN_EPSILON (%g)", epsilon, BnMinEpsilon);
    long long n = x.dim[0], all = x.count();
    *norm = mode == CUDNN_BATCHNORM_PER_ACTIVATION ? Norm{n, all / n, 1} : Norm{n, x.dim[1], all / n / x.dim[1]};
    return CUDNN_STATUS_SUCCESS;
}

// Mean and biased variance of statistic p, two-pass in double.
void moments(const Norm& m, const float* x, long long p, double* mean, double* var)
{
    double sum = 0, sq = 0;
    for (long long n = 0; n < m.n; ++n)
        for (long long q = 0, at = (n * m.p + p) * m.q; q < m.q; ++q) sum += x[at + q];
    *mean = sum / double(m.count());
    for (long long n = 0; n < m.n; ++n)
        for (long long q = 0, at = (n * m.p + p) * m.q; q < m.q; ++q) sq += (x[at + q] - *mean) * (x[at + q] - *mean);
    *var = sq / double(m.count());
}

// y = gamma * (x - mean) * k + beta over statistic p.
void normalize(const Norm& m, const float* x, float* y, long long p, double mean, double k, double gamma, double beta)
{
    for (long long n = 0; n < m.n; ++n)
        for (long long q = 0, at = (n * m.p + p) * m.q; q < m.q; ++q) y[at + q] = float(gamma * (x[at + q] - mean) * k + beta);
}

// ---- convolutions ----

// One 2-d convolution, dense: x is N x C x H x W, the filter K x C/G x R x S, y N x K x P x Q.
struct Geometry {
    int n, c, h, w, k, r, s, p, q, groups, pad_h, pad_w, u, v, dil_h, dil_w;
    bool flip;  // CUDNN_CONVOLUTION: the filter is applied flipped

    int cg() const { return c / groups; }
    int kg() const { return k / groups; }
    long long taps() const { return (long long)cg() * r * s; }  // rows of one group's im2col matrix
    long long pixels() const { return (long long)p * q; }
    long long image() const { return (long long)h * w; }
    double flops() const { return 2.0 * n * k * taps() * pixels(); }
};

// Between one group's channels of one image (img: C/G x H x W) and its im2col matrix (taps x
// pixels): element (j, o), for tap j = (c * R + i) * S + l and output pixel o = oh * Q + ow, is the
// input pixel that tap reads for that output, zero in the padding. ToImage adds the matrix into
// img (col2im); otherwise the matrix is filled from img.
template <bool ToImage> void transfer(const Geometry& g, float* img, float* col)
{
    for (int c = 0; c < g.cg(); ++c)
        for (int i = 0; i < g.r; ++i)
            for (int l = 0; l < g.s; ++l) {
                float* tap = col + (((long long)c * g.r + i) * g.s + l) * g.pixels();
                // The outputs whose input column ow * v + dx lies inside the image: [ow0, ow1).
                int dx = l * g.dil_w - g.pad_w;
                int ow0 = std::min(g.q, dx >= 0 ? 0 : (-dx + g.v - 1) / g.v);
                int ow1 = std::clamp(dx < g.w ? (g.w - 1 - dx) / g.v + 1 : 0, ow0, g.q);
                for (int oh = 0; oh < g.p; ++oh) {
                    float* out = tap + (long long)oh * g.q;
                    int ih = oh * g.u - g.pad_h + i * g.dil_h;
                    bool inside = ih >= 0 && ih < g.h;
                    long long row = ((long long)c * g.h + ih) * g.w + dx;
                    if constexpr (ToImage) {
                        if (inside)
                            for (int ow = ow0; ow < ow1; ++ow) img[row + (long long)ow * g.v] += out[ow];
                    } else {
                        int a = inside ? ow0 : g.q, b = inside ? ow1 : g.q;
                        std::fill(out, out + a, 0.f);
                        for (int ow = a; ow < b; ++ow) out[ow] = img[row + (long long)ow * g.v];
                        std::fill(out + b, out + g.q, 0.f);
                    }
                }
            }
}

// dst (cols x rows) = src (rows x cols) transposed, in tiles that stay in cache both ways.
void transpose(const float* src, long long rows, long long cols, float* dst)
{
    constexpr long long T = 16;
    for (long long r0 = 0; r0 < rows; r0 += T)
        for (long long c0 = 0; c0 < cols; c0 += T)
            for (long long r = r0; r < std::min(rows, r0 + T); ++r)
                for (long long c = c0; c < std::min(cols, c0 + T); ++c) dst[c * rows + r] = src[r * cols + c];
}

// y = conv(x, w): per image and group, y (K/G x PQ) = w (K/G x taps) * im2col(x) (taps x PQ).
void conv_forward(const Geometry& g, const float* x, const float* w, float* y)
{
    long long taps = g.taps(), pixels = g.pixels();
    parallel_for(g.n, g.flops(), [&](int, long long n0, long long n1) {
        std::vector<float> col(taps * pixels);
        for (long long n = n0; n < n1; ++n)
            for (int grp = 0; grp < g.groups; ++grp) {
                transfer<false>(g, const_cast<float*>(x + (n * g.c + grp * g.cg()) * g.image()), col.data());
                float* out = y + (n * g.k + grp * g.kg()) * pixels;
                std::fill(out, out + g.kg() * pixels, 0.f);
                gemm(g.kg(), pixels, taps, w + grp * g.kg() * taps, taps, 1, col.data(), pixels, out, pixels);
            }
    });
}

// dx = col2im(w^T * dy), per image and group.
void conv_backward_data(const Geometry& g, const float* w, const float* dy, float* dx)
{
    long long taps = g.taps(), pixels = g.pixels();
    parallel_for(g.n, g.flops(), [&](int, long long n0, long long n1) {
        std::vector<float> col(taps * pixels);
        for (long long n = n0; n < n1; ++n)
            for (int grp = 0; grp < g.groups; ++grp) {
                std::fill(col.begin(), col.end(), 0.f);
                gemm(int(taps), pixels, g.kg(), w + grp * g.kg() * taps, 1, taps, dy + (n * g.k + grp * g.kg()) * pixels, pixels,
                    col.data(), pixels);
                float* img = dx + (n * g.c + grp * g.cg()) * g.image();
                std::fill(img, img + g.cg() * g.image(), 0.f);
                transfer<true>(g, img, col.data());
            }
    });
}

// dw = dy * im2col(x)^T over all images. The GEMM's depth is the pixels of a chunk of images, not
// of one, so that the gradient is swept once per chunk (a small image's 16 pixels would make that
// sweep the cost); threads share out the filters, so every sum has one order whatever their number.
void conv_backward_filter(const Geometry& g, const float* x, const float* dy, float* dw)
{
    long long taps = g.taps(), pixels = g.pixels();
    long long chunk = std::clamp((1LL << 22) / (taps * pixels * g.groups), 1LL, (long long)g.n);  // 16 MB of im2col
    std::vector<float> col(chunk * pixels * taps * g.groups), dyt(g.k * chunk * pixels);
    std::fill(dw, dw + g.k * taps, 0.f);
    for (long long n0 = 0; n0 < g.n; n0 += chunk) {
        long long images = std::min(chunk, g.n - n0), depth = images * pixels;
        parallel_for(images, double(images * taps * pixels * g.groups), [&](int, long long a, long long b) {
            std::vector<float> one(taps * pixels);
            for (long long i = a; i < b; ++i)
                for (int grp = 0; grp < g.groups; ++grp) {
                    transfer<false>(g, const_cast<float*>(x + ((n0 + i) * g.c + grp * g.cg()) * g.image()), one.data());
                    transpose(one.data(), taps, pixels, col.data() + (grp * depth + i * pixels) * taps);
                }
        });
        for (long long k = 0; k < g.k; ++k)  // dy's rows, filter-major: row k is its images' pixels
            for (long long i = 0; i < images; ++i)
                std::copy_n(dy + ((n0 + i) * g.k + k) * pixels, pixels, dyt.data() + k * depth + i * pixels);
        parallel_for((g.k + 3) / 4, 2.0 * g.k * taps * depth, [&](int, long long a, long long b) {
            for (long long k = 4 * a, end = std::min<long long>(4 * b, g.k); k < end;) {  // filters [4a, 4b), a group at a time
                long long grp = k / g.kg(), stop = std::min(end, (grp + 1) * g.kg());
                gemm(int(stop - k), taps, depth, dyt.data() + k * depth, depth, 1, col.data() + grp * depth * taps, taps, dw + k * taps, taps);
                k = stop;
            }
        });
    }
}

// Reverses each filter's R x S taps: CUDNN_CONVOLUTION is cross-correlation with the flipped filter.
void flip_taps(const Geometry& g, float* w)
{
    for (long long f = 0; f < (long long)g.k * g.cg(); ++f) std::reverse(w + f * g.r * g.s, w + (f + 1) * g.r * g.s);
}

// The dense filter the GEMMs read: flipped in a copy for CUDNN_CONVOLUTION.
const float* filter_in(const Geometry& g, const Layout& t, const void* p, Scratch& keep)
{
    if (!g.flip) return dense_in(t, p, keep);
    keep.reset(new float[t.count()]);
    gather(t, p, keep.get());
    flip_taps(g, keep.get());
    return keep.get();
}

// The algorithms the emulation runs, all computing the same thing: the workspace each needs (-1:
// one image's im2col matrix) and how much slower than the fastest it claims to be, which orders
// Find's results. The fastest of each direction needs a workspace, so that callers' workspace
// handling is exercised; the header's non-deterministic algorithms are reported as such.
struct Algo {
    int id;
    cudnnDeterminism_t determinism;
    float slowness;
    long long workspace;
};
constexpr Algo ForwardAlgos[] = {
    {CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM, CUDNN_DETERMINISTIC, 1.0f, 1024},
    {CUDNN_CONVOLUTION_FWD_ALGO_GEMM, CUDNN_DETERMINISTIC, 1.15f, -1},
    {CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM, CUDNN_DETERMINISTIC, 1.3f, 0},
};
constexpr Algo BackwardDataAlgos[] = {
    {CUDNN_CONVOLUTION_BWD_DATA_ALGO_1, CUDNN_DETERMINISTIC, 1.0f, 1024},
    {CUDNN_CONVOLUTION_BWD_DATA_ALGO_0, CUDNN_NON_DETERMINISTIC, 1.1f, 0},
};
constexpr Algo BackwardFilterAlgos[] = {
    {CUDNN_CONVOLUTION_BWD_FILTER_ALGO_1, CUDNN_DETERMINISTIC, 1.0f, 1024},
    {CUDNN_CONVOLUTION_BWD_FILTER_ALGO_3, CUDNN_NON_DETERMINISTIC, 1.1f, 0},
    {CUDNN_CONVOLUTION_BWD_FILTER_ALGO_0, CUDNN_NON_DETERMINISTIC, 1.2f, 0},
};

// A direction of convolution: its algorithms, and what its calls name x, w and y.
struct Direction {
    const char* name;
    const Algo* algos;
    int supported, count;
    const char* runs;
    const char *x, *w, *y;
};
constexpr Direction Forward{"forward", ForwardAlgos, 3, CUDNN_CONVOLUTION_FWD_ALGO_COUNT, "0, 1 and 2", "xDesc", "wDesc", "yDesc"};
constexpr Direction BackwardData{"backward data", BackwardDataAlgos, 2, CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT, "0 and 1", "dxDesc", "wDesc", "dyDesc"};
constexpr Direction BackwardFilter{"backward filter", BackwardFilterAlgos, 3, CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT, "0, 1 and 3", "xDesc", "dwDesc", "dyDesc"};

const Algo* find_algo(const Direction& d, int id)
{
    for (int i = 0; i < d.supported; ++i)
        if (d.algos[i].id == id) return &d.algos[i];
    return nullptr;
}

size_t workspace(const Algo& a, const Geometry& g)
{
    return a.workspace < 0 ? size_t(g.taps() * g.pixels()) * sizeof(float) : size_t(a.workspace);
}

// The geometry of x, w and a convolution, as cudnnGetConvolution2dForwardOutputDim computes it.
cudnnStatus_t conv_geometry(const char* fn, const Direction& d, const cudnnTensorStruct* xDesc, const cudnnFilterStruct* wDesc,
    const cudnnConvolutionStruct* conv, Geometry* g)
{
    if (auto s = ready(fn, d.x, xDesc)) return s;
    if (auto s = ready(fn, d.w, wDesc)) return s;
    if (auto s = ready(fn, "convDesc", conv)) return s;
    const Layout &x = xDesc->t, &w = wDesc->t;
    if (x.rank != 4) return fail(CUDNN_STATUS_BAD_PARAM, fn, "%s has %d dimensions; the filter and convolution are 2-d", d.x, x.rank);
    if (x.dim[1] != w.dim[1] * conv->groups)
        return fail(CUDNN_STATUS_BAD_PARAM, fn, "%s has %d channels; %s has %d per group, %d groups", d.x, x.dim[1], d.w, w.dim[1], conv->groups);
    *g = {x.dim[0], x.dim[1], x.dim[2], x.dim[3], w.dim[0], w.dim[2], w.dim[3], 0, 0, conv->groups, conv->pad[0], conv->pad[1],
        conv->stride[0], conv->stride[1], conv->dilation[0], conv->dilation[1], conv->mode == CUDNN_CONVOLUTION};
    // outputDim = 1 + (inputDim + 2 * pad - ((filterDim - 1) * dilation + 1)) / stride
    long long span_h = (long long)(g->r - 1) * g->dil_h + 1, span_w = (long long)(g->s - 1) * g->dil_w + 1;
    if (span_h > g->h + 2LL * g->pad_h || span_w > g->w + 2LL * g->pad_w)
        return fail(CUDNN_STATUS_BAD_PARAM, fn, "the dilated filter (%lld x %lld) is larger than the padded input (%lld x %lld)", span_h,
            span_w, g->h + 2LL * g->pad_h, g->w + 2LL * g->pad_w);
    g->p = int(1 + (g->h + 2LL * g->pad_h - span_h) / g->u);
    g->q = int(1 + (g->w + 2LL * g->pad_w - span_w) / g->v);
    return CUDNN_STATUS_SUCCESS;
}

// Everything a convolution's descriptors must agree on before it can run or be planned.
cudnnStatus_t conv_check(const char* fn, const Direction& d, const cudnnTensorStruct* xDesc, const cudnnFilterStruct* wDesc,
    const cudnnConvolutionStruct* conv, const cudnnTensorStruct* yDesc, Geometry* g)
{
    if (auto s = conv_geometry(fn, d, xDesc, wDesc, conv, g)) return s;
    if (auto s = operand(fn, d.x, xDesc)) return s;
    if (auto s = operand(fn, d.y, yDesc)) return s;
    const Layout &x = xDesc->t, &w = wDesc->t, &y = yDesc->t;
    if (x.type != w.type || x.type != y.type)
        return fail(CUDNN_STATUS_BAD_PARAM, fn, "data types differ: %s %d, %s %d, %s %d", d.x, x.type, d.w, w.type, d.y, y.type);
    if (auto s = computable(fn, x)) return s;
    if (conv->compute != CUDNN_DATA_FLOAT)
        return fail(CUDNN_STATUS_NOT_SUPPORTED, fn, "compute type %d: float and bfloat16 data compute in FLOAT", conv->compute);
    if (g->k % g->groups)
        return fail(CUDNN_STATUS_NOT_SUPPORTED, fn, "%s has %d output channels, not a multiple of the %d groups", d.w, g->k, g->groups);
    int want[4] = {g->n, g->k, g->p, g->q};
    if (y.rank != 4 || !std::equal(want, want + 4, y.dim))
        return fail(CUDNN_STATUS_BAD_PARAM, fn, "%s is %s; the convolution of %s makes [%d, %d, %d, %d]", d.y, describe(y).c_str(), d.x,
            want[0], want[1], want[2], want[3]);
    return CUDNN_STATUS_SUCCESS;
}

// The workspace `algo` needs, or why it cannot run (unknown: BAD_PARAM; not emulated: NOT_SUPPORTED).
cudnnStatus_t algo_workspace(const char* fn, const Direction& d, int algo, const Geometry& g, size_t* need)
{
    if (algo < 0 || algo >= d.count) return fail(CUDNN_STATUS_BAD_PARAM, fn, "%d is not a %s algorithm", algo, d.name);
    const Algo* a = find_algo(d, algo);
    if (!a) return fail(CUDNN_STATUS_NOT_SUPPORTED, fn, "%s algorithm %d is not supported here (the emulation runs %s)", d.name, algo, d.runs);
    *need = workspace(*a, g);
    return CUDNN_STATUS_SUCCESS;
}

// What each of the three convolutions checks before it queues its work.
cudnnStatus_t conv_call(const char* fn, const Direction& d, cudnnHandle_t handle, std::initializer_list<Named> data,
    const cudnnTensorStruct* xDesc, const cudnnFilterStruct* wDesc, const cudnnConvolutionStruct* conv, const cudnnTensorStruct* yDesc,
    int algo, const void* ws, size_t wsBytes, Geometry* g, size_t* need)
{
    if (auto s = nonnull(fn, {{"handle", handle}})) return s;
    if (auto s = nonnull(fn, data)) return s;
    if (auto s = conv_check(fn, d, xDesc, wDesc, conv, yDesc, g)) return s;
    if (auto s = algo_workspace(fn, d, algo, *g, need)) return s;
    if (wsBytes < *need)
        return fail(CUDNN_STATUS_BAD_PARAM, fn, "%s algorithm %d needs %zu bytes of workspace, %zu given", d.name, algo, *need, wsBytes);
    if (*need && !ws) return fail(CUDNN_STATUS_BAD_PARAM, fn, "workSpace is NULL; %s algorithm %d needs %zu bytes", d.name, algo, *need);
    return CUDNN_STATUS_SUCCESS;
}

// Algorithms write their workspace; so does the emulation, so that a workspace that overlaps live
// data, or is freed too early, shows up.
void scribble(void* ws, size_t bytes)
{
    if (bytes) std::memset(ws, 0xA5, bytes);
}

// Every algorithm of a direction, as Find and Get_v7 list them: the emulated ones fastest first,
// then the others with status NOT_SUPPORTED. Find's times are milliseconds at a notional 1 TFLOP/s;
// Get_v7's heuristics time nothing and leave -1.
template <class Perf> cudnnStatus_t list_algos(const char* fn, const Direction& d, cudnnHandle_t handle,
    const cudnnTensorStruct* xDesc, const cudnnFilterStruct* wDesc, const cudnnConvolutionStruct* conv, const cudnnTensorStruct* yDesc,
    int requested, int* returned, Perf* perf, bool timed)
{
    Geometry g{};
    if (auto s = nonnull(fn, {{"handle", handle}, {"returnedAlgoCount", returned}, {"perfResults", perf}})) return s;
    if (requested < 1) return fail(CUDNN_STATUS_BAD_PARAM, fn, "requestedAlgoCount is %d", requested);
    if (auto s = conv_check(fn, d, xDesc, wDesc, conv, yDesc, &g)) return s;
    int n = 0;
    auto add = [&](int id, const Algo* a) {
        if (n == requested) return;
        Perf& r = perf[n++];
        std::memset(&r, 0, sizeof r);
        r.algo = decltype(r.algo)(id);
        r.status = a ? CUDNN_STATUS_SUCCESS : CUDNN_STATUS_NOT_SUPPORTED;
        r.time = a && timed ? a->slowness * float(0.01 + g.flops() / 1e9) : -1.f;
        r.memory = a ? workspace(*a, g) : 0;
        r.determinism = a ? a->determinism : CUDNN_DETERMINISTIC;
        r.mathType = conv->math;
    };
    for (int i = 0; i < d.supported; ++i) add(d.algos[i].id, &d.algos[i]);
    for (int id = 0; id < d.count; ++id)
        if (!find_algo(d, id)) add(id, nullptr);
    *returned = n;
    return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t max_count(const char* fn, cudnnHandle_t handle, int* count, int value)
{
    if (auto s = nonnull(fn, {{"handle", handle}, {"count", count}})) return s;
    *count = value;
    return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t workspace_size(const char* fn, const Direction& d, cudnnHandle_t handle, const cudnnTensorStruct* xDesc,
    const cudnnFilterStruct* wDesc, const cudnnConvolutionStruct* conv, const cudnnTensorStruct* yDesc, int algo, size_t* size)
{
    Geometry g{};
    if (auto s = nonnull(fn, {{"handle", handle}, {"sizeInBytes", size}})) return s;
    if (auto s = conv_check(fn, d, xDesc, wDesc, conv, yDesc, &g)) return s;
    return algo_workspace(fn, d, algo, g, size);
}

template <class D> cudnnStatus_t create(const char* fn, D** out)
{
    if (auto s = nonnull(fn, {{"the descriptor pointer", out}})) return s;
    *out = new D;
    return CUDNN_STATUS_SUCCESS;
}
}  // namespace

extern "C" {

// ---- cudnn_graph.h: the library and handles ----

size_t cudnnGetVersion(void) { return Major * 10000 + Minor * 100 + Patch; }

cudnnStatus_t cudnnGetProperty(libraryPropertyType type, int* value)
{
    if (auto s = nonnull("cudnnGetProperty", {{"value", value}})) return s;
    if (type < MAJOR_VERSION || type > PATCH_LEVEL) return fail(CUDNN_STATUS_BAD_PARAM, "cudnnGetProperty", "%d is not a libraryPropertyType", type);
    *value = type == MAJOR_VERSION ? Major : type == MINOR_VERSION ? Minor : Patch;
    return CUDNN_STATUS_SUCCESS;
}

const char* cudnnGetErrorString(cudnnStatus_t status)
{
    static const struct {
        int code;
        const char* name;
    } names[] = {
        {0, "CUDNN_STATUS_SUCCESS"}, {1001, "CUDNN_STATUS_NOT_INITIALIZED"}, {1002, "CUDNN_STATUS_SUBLIBRARY_VERSION_MISMATCH"},
        {1003, "CUDNN_STATUS_SERIALIZATION_VERSION_MISMATCH"}, {1004, "CUDNN_STATUS_DEPRECATED"}, {1005, "CUDNN_STATUS_LICENSE_ERROR"},
        {1006, "CUDNN_STATUS_RUNTIME_IN_PROGRESS"}, {1007, "CUDNN_STATUS_RUNTIME_FP_OVERFLOW"}, {1008, "CUDNN_STATUS_SUBLIBRARY_LOADING_FAILED"},
        {2000, "CUDNN_STATUS_BAD_PARAM"}, {2001, "CUDNN_STATUS_INVALID_VALUE"}, {2002, "CUDNN_STATUS_BAD_PARAM_NULL_POINTER"},
        {2003, "CUDNN_STATUS_BAD_PARAM_MISALIGNED_POINTER"}, {2004, "CUDNN_STATUS_BAD_PARAM_NOT_FINALIZED"},
        {2005, "CUDNN_STATUS_BAD_PARAM_OUT_OF_BOUND"}, {2006, "CUDNN_STATUS_BAD_PARAM_SIZE_INSUFFICIENT"},
        {2007, "CUDNN_STATUS_BAD_PARAM_STREAM_MISMATCH"}, {2008, "CUDNN_STATUS_BAD_PARAM_SHAPE_MISMATCH"},
        {2009, "CUDNN_STATUS_BAD_PARAM_DUPLICATED_ENTRIES"}, {2010, "CUDNN_STATUS_BAD_PARAM_ATTRIBUTE_TYPE"},
        {2011, "CUDNN_STATUS_BAD_PARAM_CUDA_GRAPH_MISMATCH"}, {2012, "CUDNN_STATUS_BAD_PARAM_DESCRIPTOR_TYPE"},
        {3000, "CUDNN_STATUS_NOT_SUPPORTED"}, {3001, "CUDNN_STATUS_NOT_SUPPORTED_GRAPH_PATTERN"}, {3002, "CUDNN_STATUS_NOT_SUPPORTED_SHAPE"},
        {3003, "CUDNN_STATUS_NOT_SUPPORTED_DATA_TYPE"}, {3004, "CUDNN_STATUS_NOT_SUPPORTED_LAYOUT"},
        {3005, "CUDNN_STATUS_NOT_SUPPORTED_INCOMPATIBLE_CUDA_DRIVER"}, {3006, "CUDNN_STATUS_NOT_SUPPORTED_INCOMPATIBLE_CUDART"},
        {3007, "CUDNN_STATUS_NOT_SUPPORTED_ARCH_MISMATCH"}, {3008, "CUDNN_STATUS_NOT_SUPPORTED_RUNTIME_PREREQUISITE_MISSING"},
        {3009, "CUDNN_STATUS_NOT_SUPPORTED_SUBLIBRARY_UNAVAILABLE"}, {3010, "CUDNN_STATUS_NOT_SUPPORTED_SHARED_MEMORY_INSUFFICIENT"},
        {3011, "CUDNN_STATUS_NOT_SUPPORTED_PADDING"}, {3012, "CUDNN_STATUS_NOT_SUPPORTED_BAD_LAUNCH_PARAM"},
        {3013, "CUDNN_STATUS_NOT_SUPPORTED_CUDA_GRAPH_NATIVE_API"}, {4000, "CUDNN_STATUS_INTERNAL_ERROR"},
        {4001, "CUDNN_STATUS_INTERNAL_ERROR_COMPILATION_FAILED"}, {4002, "CUDNN_STATUS_INTERNAL_ERROR_UNEXPECTED_VALUE"},
        {4003, "CUDNN_STATUS_INTERNAL_ERROR_HOST_ALLOCATION_FAILED"}, {4004, "CUDNN_STATUS_INTERNAL_ERROR_DEVICE_ALLOCATION_FAILED"},
        {4005, "CUDNN_STATUS_INTERNAL_ERROR_BAD_LAUNCH_PARAM"}, {4006, "CUDNN_STATUS_INTERNAL_ERROR_TEXTURE_CREATION_FAILED"},
        {5000, "CUDNN_STATUS_EXECUTION_FAILED"}, {5001, "CUDNN_STATUS_EXECUTION_FAILED_CUDA_DRIVER"},
        {5002, "CUDNN_STATUS_EXECUTION_FAILED_CUBLAS"}, {5003, "CUDNN_STATUS_EXECUTION_FAILED_CUDART"},
        {5004, "CUDNN_STATUS_EXECUTION_FAILED_CURAND"},
    };
    for (auto& n : names)
        if (n.code == status) return n.name;
    return "CUDNN_UNKNOWN_STATUS_FOUND";
}

// This thread's last failure, which reading clears.
void cudnnGetLastErrorString(char* message, size_t max_size)
{
    if (!message || !max_size) return;
    size_t n = std::min(max_size - 1, last_error.size());
    std::memcpy(message, last_error.data(), n);
    message[n] = 0;
    last_error.clear();
}

cudnnStatus_t cudnnCreate(cudnnHandle_t* handle) { return create("cudnnCreate", handle); }

// Queued work holds no reference to the handle, so it may go at once.
cudnnStatus_t cudnnDestroy(cudnnHandle_t handle)
{
    if (auto s = nonnull("cudnnDestroy", {{"handle", handle}})) return s;
    delete handle;
    return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnSetStream(cudnnHandle_t handle, cudaStream_t streamId)
{
    if (auto s = nonnull("cudnnSetStream", {{"handle", handle}})) return s;
    handle->stream = streamId;
    return CUDNN_STATUS_SUCCESS;
}

// ---- cudnn_ops.h: tensors and filters ----

cudnnStatus_t cudnnCreateTensorDescriptor(cudnnTensorDescriptor_t* tensorDesc) { return create("cudnnCreateTensorDescriptor", tensorDesc); }

cudnnStatus_t cudnnSetTensor4dDescriptor(cudnnTensorDescriptor_t tensorDesc, cudnnTensorFormat_t format, cudnnDataType_t dataType, int n,
    int c, int h, int w)
{
    return store_4d("cudnnSetTensor4dDescriptor", tensorDesc, format, dataType, n, c, h, w);
}

cudnnStatus_t cudnnSetTensor4dDescriptorEx(cudnnTensorDescriptor_t tensorDesc, cudnnDataType_t dataType, int n, int c, int h, int w,
    int nStride, int cStride, int hStride, int wStride)
{
    Layout t{dataType, 4, {n, c, h, w}, {nStride, cStride, hStride, wStride}};
    return store_layout("cudnnSetTensor4dDescriptorEx", tensorDesc, t);
}

cudnnStatus_t cudnnSetTensorNdDescriptor(cudnnTensorDescriptor_t tensorDesc, cudnnDataType_t dataType, int nbDims, const int dimA[],
    const int strideA[])
{
    const char* fn = "cudnnSetTensorNdDescriptor";
    if (auto s = nonnull(fn, {{"tensorDesc", tensorDesc}, {"dimA", dimA}, {"strideA", strideA}})) return s;
    if (nbDims < 3 || nbDims > 8) return fail(CUDNN_STATUS_NOT_SUPPORTED, fn, "nbDims is %d; cuDNN takes 3 to CUDNN_DIM_MAX (8)", nbDims);
    Layout t;
    t.type = dataType;
    t.rank = nbDims;
    std::copy(dimA, dimA + nbDims, t.dim);
    std::copy(strideA, strideA + nbDims, t.stride);
    return store_layout(fn, tensorDesc, t);
}

cudnnStatus_t cudnnDestroyTensorDescriptor(cudnnTensorDescriptor_t tensorDesc)
{
    delete tensorDesc;
    return CUDNN_STATUS_SUCCESS;
}

// C = alpha * A + beta * C, each dim of A being C's or 1 (broadcast), up to 5 dimensions.
cudnnStatus_t cudnnAddTensor(cudnnHandle_t handle, const void* alpha, const cudnnTensorDescriptor_t aDesc, const void* A, const void* beta,
    const cudnnTensorDescriptor_t cDesc, void* C)
{
    const char* fn = "cudnnAddTensor";
    if (auto s = nonnull(fn, {{"handle", handle}, {"alpha", alpha}, {"A", A}, {"beta", beta}, {"C", C}})) return s;
    if (auto s = operand(fn, "aDesc", aDesc)) return s;
    if (auto s = operand(fn, "cDesc", cDesc)) return s;
    Layout a = aDesc->t, c = cDesc->t;
    if (a.type != c.type) return fail(CUDNN_STATUS_BAD_PARAM, fn, "A is %s but C is %s", describe(a).c_str(), describe(c).c_str());
    if (auto s = computable(fn, c)) return s;
    if (c.rank > 5) return fail(CUDNN_STATUS_NOT_SUPPORTED, fn, "C has %d dimensions; cudnnAddTensor takes up to 5", c.rank);
    if (a.rank != c.rank) return fail(CUDNN_STATUS_BAD_PARAM, fn, "A has %d dimensions, C %d", a.rank, c.rank);
    for (int d = 0; d < c.rank; ++d) {
        if (a.dim[d] != c.dim[d] && a.dim[d] != 1)
            return fail(CUDNN_STATUS_BAD_PARAM, fn, "A is %s, which does not broadcast to C %s", describe(a).c_str(), describe(c).c_str());
        if (a.dim[d] == 1) a.dim[d] = c.dim[d], a.stride[d] = 0;  // A read as if it had C's shape
    }
    float al = scalar(alpha), be = scalar(beta);
    return queue(fn, handle, [=] {
        Scratch values(new float[c.count()]);
        gather(a, A, values.get());
        store(c, C, values.get(), al, be);
    });
}

cudnnStatus_t cudnnCreateFilterDescriptor(cudnnFilterDescriptor_t* filterDesc) { return create("cudnnCreateFilterDescriptor", filterDesc); }

cudnnStatus_t cudnnSetFilter4dDescriptor(cudnnFilterDescriptor_t filterDesc, cudnnDataType_t dataType, cudnnTensorFormat_t format, int k,
    int c, int h, int w)
{
    return store_4d("cudnnSetFilter4dDescriptor", filterDesc, format, dataType, k, c, h, w);
}

cudnnStatus_t cudnnDestroyFilterDescriptor(cudnnFilterDescriptor_t filterDesc)
{
    delete filterDesc;
    return CUDNN_STATUS_SUCCESS;
}

// ---- cudnn_ops.h: pooling ----

cudnnStatus_t cudnnCreatePoolingDescriptor(cudnnPoolingDescriptor_t* poolingDesc) { return create("cudnnCreatePoolingDescriptor", poolingDesc); }

cudnnStatus_t cudnnSetPooling2dDescriptor(cudnnPoolingDescriptor_t poolingDesc, cudnnPoolingMode_t mode, cudnnNanPropagation_t maxpoolingNanOpt,
    int windowHeight, int windowWidth, int verticalPadding, int horizontalPadding, int verticalStride, int horizontalStride)
{
    const char* fn = "cudnnSetPooling2dDescriptor";
    if (auto s = nonnull(fn, {{"poolingDesc", poolingDesc}})) return s;
    if (mode < CUDNN_POOLING_MAX || mode > CUDNN_POOLING_MAX_DETERMINISTIC) return fail(CUDNN_STATUS_BAD_PARAM, fn, "%d is not a cudnnPoolingMode_t", mode);
    if (maxpoolingNanOpt != CUDNN_NOT_PROPAGATE_NAN && maxpoolingNanOpt != CUDNN_PROPAGATE_NAN)
        return fail(CUDNN_STATUS_BAD_PARAM, fn, "%d is not a cudnnNanPropagation_t", maxpoolingNanOpt);
    if (windowHeight <= 0 || windowWidth <= 0 || verticalStride <= 0 || horizontalStride <= 0 || verticalPadding < 0 || horizontalPadding < 0)
        return fail(CUDNN_STATUS_BAD_PARAM, fn, "window %d x %d, padding %d x %d, stride %d x %d: windows and strides must be positive, padding not negative",
            windowHeight, windowWidth, verticalPadding, horizontalPadding, verticalStride, horizontalStride);
    *poolingDesc = {mode, maxpoolingNanOpt == CUDNN_PROPAGATE_NAN, {windowHeight, windowWidth}, {verticalPadding, horizontalPadding},
        {verticalStride, horizontalStride}, true};
    return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnDestroyPoolingDescriptor(cudnnPoolingDescriptor_t poolingDesc)
{
    delete poolingDesc;
    return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnPoolingForward(cudnnHandle_t handle, const cudnnPoolingDescriptor_t poolingDesc, const void* alpha,
    const cudnnTensorDescriptor_t xDesc, const void* x, const void* beta, const cudnnTensorDescriptor_t yDesc, void* y)
{
    const char* fn = "cudnnPoolingForward";
    Pool g{};
    if (auto s = nonnull(fn, {{"handle", handle}, {"alpha", alpha}, {"x", x}, {"beta", beta}, {"y", y}})) return s;
    if (auto s = pool_check(fn, poolingDesc, xDesc, "xDesc", yDesc, "yDesc", &g)) return s;
    Layout xt = xDesc->t, yt = yDesc->t;
    float a = scalar(alpha), b = scalar(beta);
    return queue(fn, handle, [=] {
        Scratch kx, ky;
        float* yd = dense_out(yt, y, a, b, ky);
        pool_forward(g, dense_in(xt, x, kx), yd);
        finish(yt, y, yd, a, b);
    });
}

// y is checked against x but not read: the max's position is found again from x.
cudnnStatus_t cudnnPoolingBackward(cudnnHandle_t handle, const cudnnPoolingDescriptor_t poolingDesc, const void* alpha,
    const cudnnTensorDescriptor_t yDesc, const void* y, const cudnnTensorDescriptor_t dyDesc, const void* dy,
    const cudnnTensorDescriptor_t xDesc, const void* x, const void* beta, const cudnnTensorDescriptor_t dxDesc, void* dx)
{
    const char* fn = "cudnnPoolingBackward";
    Pool g{};
    if (auto s = nonnull(fn, {{"handle", handle}, {"alpha", alpha}, {"y", y}, {"dy", dy}, {"x", x}, {"beta", beta}, {"dx", dx}})) return s;
    if (auto s = pool_check(fn, poolingDesc, xDesc, "xDesc", yDesc, "yDesc", &g)) return s;
    if (auto s = operand(fn, "dyDesc", dyDesc)) return s;
    if (auto s = operand(fn, "dxDesc", dxDesc)) return s;
    if (auto s = alike(fn, "dyDesc", dyDesc->t, "yDesc", yDesc->t)) return s;
    if (auto s = alike(fn, "dxDesc", dxDesc->t, "xDesc", xDesc->t)) return s;
    Layout xt = xDesc->t, dyt = dyDesc->t, dxt = dxDesc->t;
    float a = scalar(alpha), b = scalar(beta);
    return queue(fn, handle, [=] {
        Scratch kx, kdy, kdx;
        float* dxd = dense_out(dxt, dx, a, b, kdx);
        pool_backward(g, dense_in(xt, x, kx), dense_in(dyt, dy, kdy), dxd);
        finish(dxt, dx, dxd, a, b);
    });
}

// ---- cudnn_ops.h: batch normalization ----

cudnnStatus_t cudnnDeriveBNTensorDescriptor(cudnnTensorDescriptor_t derivedBnDesc, const cudnnTensorDescriptor_t xDesc, cudnnBatchNormMode_t mode)
{
    const char* fn = "cudnnDeriveBNTensorDescriptor";
    if (auto s = nonnull(fn, {{"derivedBnDesc", derivedBnDesc}})) return s;
    if (auto s = ready(fn, "xDesc", xDesc)) return s;
    if (auto s = bn_mode(fn, mode, xDesc->t)) return s;
    derivedBnDesc->t = derived(xDesc->t, mode);
    derivedBnDesc->set = true;
    return CUDNN_STATUS_SUCCESS;
}

// y = gamma * (x - estimatedMean) / sqrt(estimatedVariance + epsilon) + beta, blended into y.
cudnnStatus_t cudnnBatchNormalizationForwardInference(cudnnHandle_t handle, cudnnBatchNormMode_t mode, const void* alpha, const void* beta,
    const cudnnTensorDescriptor_t xDesc, const void* x, const cudnnTensorDescriptor_t yDesc, void* y,
    const cudnnTensorDescriptor_t bnScaleBiasMeanVarDesc, const void* bnScale, const void* bnBias, const void* estimatedMean,
    const void* estimatedVariance, double epsilon)
{
    const char* fn = "cudnnBatchNormalizationForwardInference";
    Norm m{};
    if (auto s = nonnull(fn, {{"handle", handle}, {"alpha", alpha}, {"beta", beta}, {"x", x}, {"y", y}, {"bnScale", bnScale}, {"bnBias", bnBias},
            {"estimatedMean", estimatedMean}, {"estimatedVariance", estimatedVariance}}))
        return s;
    if (auto s = bn_shape(fn, mode, xDesc, "bnScaleBiasMeanVarDesc", bnScaleBiasMeanVarDesc, epsilon, &m)) return s;
    if (auto s = operand(fn, "yDesc", yDesc)) return s;
    if (auto s = alike(fn, "yDesc", yDesc->t, "xDesc", xDesc->t)) return s;
    Layout xt = xDesc->t, yt = yDesc->t, st = bnScaleBiasMeanVarDesc->t;
    float a = scalar(alpha), b = scalar(beta);
    return queue(fn, handle, [=] {
        Scratch kx, ky;
        const float* xd = dense_in(xt, x, kx);
        float* yd = dense_out(yt, y, a, b, ky);
        std::vector<float> gamma(m.p), bias(m.p), mean(m.p), var(m.p);
        gather(st, bnScale, gamma.data());
        gather(st, bnBias, bias.data());
        gather(st, estimatedMean, mean.data());
        gather(st, estimatedVariance, var.data());
        parallel_for(m.p, 4.0 * m.n * m.p * m.q, [&](int, long long p0, long long p1) {
            for (long long p = p0; p < p1; ++p) normalize(m, xd, yd, p, mean[p], 1 / std::sqrt(var[p] + epsilon), gamma[p], bias[p]);
        });
        finish(yt, y, yd, a, b);
    });
}

// y = gamma * (x - mean) / sqrt(var + epsilon) + beta with the batch's statistics, blended into y;
// the running averages move by exponentialAverageFactor towards the mean and the unbiased
// variance; resultSaveMean and resultSaveInvVariance get the mean and 1 / sqrt(var + epsilon).
cudnnStatus_t cudnnBatchNormalizationForwardTraining(cudnnHandle_t handle, cudnnBatchNormMode_t mode, const void* alpha, const void* beta,
    const cudnnTensorDescriptor_t xDesc, const void* x, const cudnnTensorDescriptor_t yDesc, void* y,
    const cudnnTensorDescriptor_t bnScaleBiasMeanVarDesc, const void* bnScale, const void* bnBias, double exponentialAverageFactor,
    void* resultRunningMean, void* resultRunningVariance, double epsilon, void* resultSaveMean, void* resultSaveInvVariance)
{
    const char* fn = "cudnnBatchNormalizationForwardTraining";
    Norm m{};
    if (auto s = nonnull(fn, {{"handle", handle}, {"alpha", alpha}, {"beta", beta}, {"x", x}, {"y", y}, {"bnScale", bnScale}, {"bnBias", bnBias}}))
        return s;
    if (!resultRunningMean != !resultRunningVariance)
        return fail(CUDNN_STATUS_BAD_PARAM, fn, "resultRunningMean and resultRunningVariance must both be given or both be NULL");
    if (!resultSaveMean != !resultSaveInvVariance)
        return fail(CUDNN_STATUS_BAD_PARAM, fn, "resultSaveMean and resultSaveInvVariance must both be given or both be NULL");
    if (auto s = bn_shape(fn, mode, xDesc, "bnScaleBiasMeanVarDesc", bnScaleBiasMeanVarDesc, epsilon, &m)) return s;
    if (auto s = operand(fn, "yDesc", yDesc)) return s;
    if (auto s = alike(fn, "yDesc", yDesc->t, "xDesc", xDesc->t)) return s;
    Layout xt = xDesc->t, yt = yDesc->t, st = bnScaleBiasMeanVarDesc->t;
    float a = scalar(alpha), b = scalar(beta);
    double factor = exponentialAverageFactor;
    return queue(fn, handle, [=] {
        Scratch kx, ky;
        const float* xd = dense_in(xt, x, kx);
        float* yd = dense_out(yt, y, a, b, ky);
        std::vector<float> gamma(m.p), bias(m.p), mean(m.p), inv(m.p), unbiased(m.p);
        gather(st, bnScale, gamma.data());
        gather(st, bnBias, bias.data());
        parallel_for(m.p, 8.0 * m.n * m.p * m.q, [&](int, long long p0, long long p1) {
            for (long long p = p0; p < p1; ++p) {
                double mu, var;
                moments(m, xd, p, &mu, &var);
                double k = 1 / std::sqrt(var + epsilon);
                normalize(m, xd, yd, p, mu, k, gamma[p], bias[p]);
                mean[p] = float(mu);
                inv[p] = float(k);
                unbiased[p] = float(var * double(m.count()) / double(m.count() - 1));
            }
        });
        finish(yt, y, yd, a, b);
        if (resultSaveMean) {
            store(st, resultSaveMean, mean.data());
            store(st, resultSaveInvVariance, inv.data());
        }
        if (resultRunningMean) {
            // Factor 1 starts the averages afresh (the header asks for it in the first call), so the
            // old values are not read: they may be uninitialised.
            std::vector<float> run_mean(m.p, 0.f), run_var(m.p, 0.f);
            if (factor != 1) {
                gather(st, resultRunningMean, run_mean.data());
                gather(st, resultRunningVariance, run_var.data());
            }
            for (long long p = 0; p < m.p; ++p) {
                run_mean[p] = float((1 - factor) * run_mean[p] + factor * mean[p]);
                run_var[p] = float((1 - factor) * run_var[p] + factor * unbiased[p]);
            }
            store(st, resultRunningMean, run_mean.data());
            store(st, resultRunningVariance, run_var.data());
        }
    });
}

// dx = gamma * invstd * (dy - mean(dy) - xhat * mean(dy * xhat)), xhat = (x - mean) * invstd;
// dScale = sum(dy * xhat), dBias = sum(dy); each blended with its own alpha and beta. The mean and
// invstd are the saved ones when given, else computed again from x and epsilon.
cudnnStatus_t cudnnBatchNormalizationBackward(cudnnHandle_t handle, cudnnBatchNormMode_t mode, const void* alphaDataDiff,
    const void* betaDataDiff, const void* alphaParamDiff, const void* betaParamDiff, const cudnnTensorDescriptor_t xDesc, const void* x,
    const cudnnTensorDescriptor_t dyDesc, const void* dy, const cudnnTensorDescriptor_t dxDesc, void* dx,
    const cudnnTensorDescriptor_t dBnScaleBiasDesc, const void* bnScale, void* dBnScaleResult, void* dBnBiasResult, double epsilon,
    const void* savedMean, const void* savedInvVariance)
{
    const char* fn = "cudnnBatchNormalizationBackward";
    Norm m{};
    if (auto s = nonnull(fn, {{"handle", handle}, {"alphaDataDiff", alphaDataDiff}, {"betaDataDiff", betaDataDiff},
            {"alphaParamDiff", alphaParamDiff}, {"betaParamDiff", betaParamDiff}, {"x", x}, {"dy", dy}, {"dx", dx}, {"bnScale", bnScale},
            {"dBnScaleResult", dBnScaleResult}, {"dBnBiasResult", dBnBiasResult}}))
        return s;
    if (!savedMean != !savedInvVariance)
        return fail(CUDNN_STATUS_BAD_PARAM, fn, "savedMean and savedInvVariance must both be given or both be NULL");
    if (auto s = bn_shape(fn, mode, xDesc, "dBnScaleBiasDesc", dBnScaleBiasDesc, epsilon, &m)) return s;
    if (auto s = operand(fn, "dyDesc", dyDesc)) return s;
    if (auto s = operand(fn, "dxDesc", dxDesc)) return s;
    if (auto s = alike(fn, "dyDesc", dyDesc->t, "xDesc", xDesc->t)) return s;
    if (auto s = alike(fn, "dxDesc", dxDesc->t, "xDesc", xDesc->t)) return s;
    Layout xt = xDesc->t, dyt = dyDesc->t, dxt = dxDesc->t, st = dBnScaleBiasDesc->t;
    float ad = scalar(alphaDataDiff), bd = scalar(betaDataDiff), ap = scalar(alphaParamDiff), bp = scalar(betaParamDiff);
    return queue(fn, handle, [=] {
        Scratch kx, kdy, kdx;
        const float* xd = dense_in(xt, x, kx);
        const float* dyd = dense_in(dyt, dy, kdy);
        float* dxd = dense_out(dxt, dx, ad, bd, kdx);
        std::vector<float> gamma(m.p), mean(m.p), inv(m.p), dgamma(m.p), dbeta(m.p);
        gather(st, bnScale, gamma.data());
        if (savedMean) {
            gather(st, savedMean, mean.data());
            gather(st, savedInvVariance, inv.data());
        }
        parallel_for(m.p, 10.0 * m.n * m.p * m.q, [&](int, long long p0, long long p1) {
            for (long long p = p0; p < p1; ++p) {
                double mu = mean[p], k = inv[p], var, sum_dy = 0, sum_dy_xhat = 0;
                if (!savedMean) {
                    moments(m, xd, p, &mu, &var);
                    k = 1 / std::sqrt(var + epsilon);
                }
                for (long long n = 0; n < m.n; ++n)
                    for (long long q = 0, at = (n * m.p + p) * m.q; q < m.q; ++q) {
                        sum_dy += dyd[at + q];
                        sum_dy_xhat += dyd[at + q] * (xd[at + q] - mu) * k;
                    }
                double scale = gamma[p] * k, mean_dy = sum_dy / double(m.count()), mean_dy_xhat = sum_dy_xhat / double(m.count());
                for (long long n = 0; n < m.n; ++n)
                    for (long long q = 0, at = (n * m.p + p) * m.q; q < m.q; ++q)
                        dxd[at + q] = float(scale * (dyd[at + q] - mean_dy - (xd[at + q] - mu) * k * mean_dy_xhat));
                dgamma[p] = float(sum_dy_xhat);
                dbeta[p] = float(sum_dy);
            }
        });
        finish(dxt, dx, dxd, ad, bd);
        store(st, dBnScaleResult, dgamma.data(), ap, bp);
        store(st, dBnBiasResult, dbeta.data(), ap, bp);
    });
}

// ---- cudnn_cnn.h: convolutions ----

cudnnStatus_t cudnnCreateConvolutionDescriptor(cudnnConvolutionDescriptor_t* convDesc) { return create("cudnnCreateConvolutionDescriptor", convDesc); }

cudnnStatus_t cudnnDestroyConvolutionDescriptor(cudnnConvolutionDescriptor_t convDesc)
{
    delete convDesc;
    return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnSetConvolutionMathType(cudnnConvolutionDescriptor_t convDesc, cudnnMathType_t mathType)
{
    const char* fn = "cudnnSetConvolutionMathType";
    if (auto s = nonnull(fn, {{"convDesc", convDesc}})) return s;
    if (mathType < CUDNN_DEFAULT_MATH || mathType > CUDNN_FMA_MATH) return fail(CUDNN_STATUS_BAD_PARAM, fn, "%d is not a cudnnMathType_t", mathType);
    convDesc->math = mathType;
    return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnSetConvolutionGroupCount(cudnnConvolutionDescriptor_t convDesc, int groupCount)
{
    const char* fn = "cudnnSetConvolutionGroupCount";
    if (auto s = nonnull(fn, {{"convDesc", convDesc}})) return s;
    if (groupCount < 1) return fail(CUDNN_STATUS_BAD_PARAM, fn, "groupCount is %d", groupCount);
    convDesc->groups = groupCount;
    return CUDNN_STATUS_SUCCESS;
}

// Sets the geometry; the group count and math type set apart are kept.
cudnnStatus_t cudnnSetConvolution2dDescriptor(cudnnConvolutionDescriptor_t convDesc, int pad_h, int pad_w, int u, int v, int dilation_h,
    int dilation_w, cudnnConvolutionMode_t mode, cudnnDataType_t computeType)
{
    const char* fn = "cudnnSetConvolution2dDescriptor";
    if (auto s = nonnull(fn, {{"convDesc", convDesc}})) return s;
    if (pad_h < 0 || pad_w < 0 || u <= 0 || v <= 0 || dilation_h <= 0 || dilation_w <= 0)
        return fail(CUDNN_STATUS_BAD_PARAM, fn, "pad %d x %d, stride %d x %d, dilation %d x %d: padding must not be negative, the others positive",
            pad_h, pad_w, u, v, dilation_h, dilation_w);
    if (mode != CUDNN_CONVOLUTION && mode != CUDNN_CROSS_CORRELATION) return fail(CUDNN_STATUS_BAD_PARAM, fn, "%d is not a cudnnConvolutionMode_t", mode);
    if (computeType < CUDNN_DATA_FLOAT || computeType > CUDNN_DATA_FAST_FLOAT_FOR_FP8)
        return fail(CUDNN_STATUS_BAD_PARAM, fn, "%d is not a cudnnDataType_t", computeType);
    convDesc->pad[0] = pad_h, convDesc->pad[1] = pad_w;
    convDesc->stride[0] = u, convDesc->stride[1] = v;
    convDesc->dilation[0] = dilation_h, convDesc->dilation[1] = dilation_w;
    convDesc->mode = mode;
    convDesc->compute = computeType;
    convDesc->set = true;
    return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnGetConvolution2dForwardOutputDim(const cudnnConvolutionDescriptor_t convDesc, const cudnnTensorDescriptor_t inputTensorDesc,
    const cudnnFilterDescriptor_t filterDesc, int* n, int* c, int* h, int* w)
{
    const char* fn = "cudnnGetConvolution2dForwardOutputDim";
    Geometry g{};
    if (auto s = nonnull(fn, {{"n", n}, {"c", c}, {"h", h}, {"w", w}})) return s;
    if (auto s = conv_geometry(fn, Forward, inputTensorDesc, filterDesc, convDesc, &g)) return s;
    *n = g.n, *c = g.k, *h = g.p, *w = g.q;
    return CUDNN_STATUS_SUCCESS;
}

cudnnStatus_t cudnnGetConvolutionForwardAlgorithmMaxCount(cudnnHandle_t handle, int* count)
{
    return max_count("cudnnGetConvolutionForwardAlgorithmMaxCount", handle, count, CUDNN_CONVOLUTION_FWD_ALGO_COUNT);
}

cudnnStatus_t cudnnGetConvolutionForwardAlgorithm_v7(cudnnHandle_t handle, const cudnnTensorDescriptor_t srcDesc,
    const cudnnFilterDescriptor_t filterDesc, const cudnnConvolutionDescriptor_t convDesc, const cudnnTensorDescriptor_t destDesc,
    const int requestedAlgoCount, int* returnedAlgoCount, cudnnConvolutionFwdAlgoPerf_t* perfResults)
{
    return list_algos("cudnnGetConvolutionForwardAlgorithm_v7", Forward, handle, srcDesc, filterDesc, convDesc, destDesc, requestedAlgoCount,
        returnedAlgoCount, perfResults, false);
}

// Find runs nothing here: the emulation's algorithms all cost the same, so their "times" are made up.
cudnnStatus_t cudnnFindConvolutionForwardAlgorithm(cudnnHandle_t handle, const cudnnTensorDescriptor_t xDesc, const cudnnFilterDescriptor_t wDesc,
    const cudnnConvolutionDescriptor_t convDesc, const cudnnTensorDescriptor_t yDesc, const int requestedAlgoCount, int* returnedAlgoCount,
    cudnnConvolutionFwdAlgoPerf_t* perfResults)
{
    return list_algos("cudnnFindConvolutionForwardAlgorithm", Forward, handle, xDesc, wDesc, convDesc, yDesc, requestedAlgoCount,
        returnedAlgoCount, perfResults, true);
}

cudnnStatus_t cudnnGetConvolutionForwardWorkspaceSize(cudnnHandle_t handle, const cudnnTensorDescriptor_t xDesc,
    const cudnnFilterDescriptor_t wDesc, const cudnnConvolutionDescriptor_t convDesc, const cudnnTensorDescriptor_t yDesc,
    cudnnConvolutionFwdAlgo_t algo, size_t* sizeInBytes)
{
    return workspace_size("cudnnGetConvolutionForwardWorkspaceSize", Forward, handle, xDesc, wDesc, convDesc, yDesc, algo, sizeInBytes);
}

cudnnStatus_t cudnnConvolutionForward(cudnnHandle_t handle, const void* alpha, const cudnnTensorDescriptor_t xDesc, const void* x,
    const cudnnFilterDescriptor_t wDesc, const void* w, const cudnnConvolutionDescriptor_t convDesc, cudnnConvolutionFwdAlgo_t algo,
    void* workSpace, size_t workSpaceSizeInBytes, const void* beta, const cudnnTensorDescriptor_t yDesc, void* y)
{
    const char* fn = "cudnnConvolutionForward";
    Geometry g{};
    size_t need;
    if (auto s = conv_call(fn, Forward, handle, {{"alpha", alpha}, {"beta", beta}, {"x", x}, {"w", w}, {"y", y}}, xDesc, wDesc, convDesc, yDesc,
            algo, workSpace, workSpaceSizeInBytes, &g, &need))
        return s;
    Layout xt = xDesc->t, wt = wDesc->t, yt = yDesc->t;
    float a = scalar(alpha), b = scalar(beta);
    return queue(fn, handle, [=] {
        scribble(workSpace, need);
        Scratch kx, kw, ky;
        float* yd = dense_out(yt, y, a, b, ky);
        conv_forward(g, dense_in(xt, x, kx), filter_in(g, wt, w, kw), yd);
        finish(yt, y, yd, a, b);
    });
}

cudnnStatus_t cudnnGetConvolutionBackwardDataAlgorithmMaxCount(cudnnHandle_t handle, int* count)
{
    return max_count("cudnnGetConvolutionBackwardDataAlgorithmMaxCount", handle, count, CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT);
}

cudnnStatus_t cudnnFindConvolutionBackwardDataAlgorithm(cudnnHandle_t handle, const cudnnFilterDescriptor_t wDesc,
    const cudnnTensorDescriptor_t dyDesc, const cudnnConvolutionDescriptor_t convDesc, const cudnnTensorDescriptor_t dxDesc,
    const int requestedAlgoCount, int* returnedAlgoCount, cudnnConvolutionBwdDataAlgoPerf_t* perfResults)
{
    return list_algos("cudnnFindConvolutionBackwardDataAlgorithm", BackwardData, handle, dxDesc, wDesc, convDesc, dyDesc, requestedAlgoCount,
        returnedAlgoCount, perfResults, true);
}

cudnnStatus_t cudnnGetConvolutionBackwardDataAlgorithm_v7(cudnnHandle_t handle, const cudnnFilterDescriptor_t filterDesc,
    const cudnnTensorDescriptor_t diffDesc, const cudnnConvolutionDescriptor_t convDesc, const cudnnTensorDescriptor_t gradDesc,
    const int requestedAlgoCount, int* returnedAlgoCount, cudnnConvolutionBwdDataAlgoPerf_t* perfResults)
{
    return list_algos("cudnnGetConvolutionBackwardDataAlgorithm_v7", BackwardData, handle, gradDesc, filterDesc, convDesc, diffDesc,
        requestedAlgoCount, returnedAlgoCount, perfResults, false);
}

cudnnStatus_t cudnnGetConvolutionBackwardDataWorkspaceSize(cudnnHandle_t handle, const cudnnFilterDescriptor_t wDesc,
    const cudnnTensorDescriptor_t dyDesc, const cudnnConvolutionDescriptor_t convDesc, const cudnnTensorDescriptor_t dxDesc,
    cudnnConvolutionBwdDataAlgo_t algo, size_t* sizeInBytes)
{
    return workspace_size("cudnnGetConvolutionBackwardDataWorkspaceSize", BackwardData, handle, dxDesc, wDesc, convDesc, dyDesc, algo, sizeInBytes);
}

cudnnStatus_t cudnnConvolutionBackwardData(cudnnHandle_t handle, const void* alpha, const cudnnFilterDescriptor_t wDesc, const void* w,
    const cudnnTensorDescriptor_t dyDesc, const void* dy, const cudnnConvolutionDescriptor_t convDesc, cudnnConvolutionBwdDataAlgo_t algo,
    void* workSpace, size_t workSpaceSizeInBytes, const void* beta, const cudnnTensorDescriptor_t dxDesc, void* dx)
{
    const char* fn = "cudnnConvolutionBackwardData";
    Geometry g{};
    size_t need;
    if (auto s = conv_call(fn, BackwardData, handle, {{"alpha", alpha}, {"beta", beta}, {"w", w}, {"dy", dy}, {"dx", dx}}, dxDesc, wDesc,
            convDesc, dyDesc, algo, workSpace, workSpaceSizeInBytes, &g, &need))
        return s;
    Layout wt = wDesc->t, dyt = dyDesc->t, dxt = dxDesc->t;
    float a = scalar(alpha), b = scalar(beta);
    return queue(fn, handle, [=] {
        scribble(workSpace, need);
        Scratch kw, kdy, kdx;
        float* dxd = dense_out(dxt, dx, a, b, kdx);
        conv_backward_data(g, filter_in(g, wt, w, kw), dense_in(dyt, dy, kdy), dxd);
        finish(dxt, dx, dxd, a, b);
    });
}

cudnnStatus_t cudnnGetConvolutionBackwardFilterAlgorithmMaxCount(cudnnHandle_t handle, int* count)
{
    return max_count("cudnnGetConvolutionBackwardFilterAlgorithmMaxCount", handle, count, CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT);
}

cudnnStatus_t cudnnFindConvolutionBackwardFilterAlgorithm(cudnnHandle_t handle, const cudnnTensorDescriptor_t xDesc,
    const cudnnTensorDescriptor_t dyDesc, const cudnnConvolutionDescriptor_t convDesc, const cudnnFilterDescriptor_t dwDesc,
    const int requestedAlgoCount, int* returnedAlgoCount, cudnnConvolutionBwdFilterAlgoPerf_t* perfResults)
{
    return list_algos("cudnnFindConvolutionBackwardFilterAlgorithm", BackwardFilter, handle, xDesc, dwDesc, convDesc, dyDesc, requestedAlgoCount,
        returnedAlgoCount, perfResults, true);
}

cudnnStatus_t cudnnGetConvolutionBackwardFilterAlgorithm_v7(cudnnHandle_t handle, const cudnnTensorDescriptor_t srcDesc,
    const cudnnTensorDescriptor_t diffDesc, const cudnnConvolutionDescriptor_t convDesc, const cudnnFilterDescriptor_t gradDesc,
    const int requestedAlgoCount, int* returnedAlgoCount, cudnnConvolutionBwdFilterAlgoPerf_t* perfResults)
{
    return list_algos("cudnnGetConvolutionBackwardFilterAlgorithm_v7", BackwardFilter, handle, srcDesc, gradDesc, convDesc, diffDesc,
        requestedAlgoCount, returnedAlgoCount, perfResults, false);
}

cudnnStatus_t cudnnGetConvolutionBackwardFilterWorkspaceSize(cudnnHandle_t handle, const cudnnTensorDescriptor_t xDesc,
    const cudnnTensorDescriptor_t dyDesc, const cudnnConvolutionDescriptor_t convDesc, const cudnnFilterDescriptor_t gradDesc,
    cudnnConvolutionBwdFilterAlgo_t algo, size_t* sizeInBytes)
{
    return workspace_size("cudnnGetConvolutionBackwardFilterWorkspaceSize", BackwardFilter, handle, xDesc, gradDesc, convDesc, dyDesc, algo,
        sizeInBytes);
}

cudnnStatus_t cudnnConvolutionBackwardFilter(cudnnHandle_t handle, const void* alpha, const cudnnTensorDescriptor_t xDesc, const void* x,
    const cudnnTensorDescriptor_t dyDesc, const void* dy, const cudnnConvolutionDescriptor_t convDesc, cudnnConvolutionBwdFilterAlgo_t algo,
    void* workSpace, size_t workSpaceSizeInBytes, const void* beta, const cudnnFilterDescriptor_t dwDesc, void* dw)
{
    const char* fn = "cudnnConvolutionBackwardFilter";
    Geometry g{};
    size_t need;
    if (auto s = conv_call(fn, BackwardFilter, handle, {{"alpha", alpha}, {"beta", beta}, {"x", x}, {"dy", dy}, {"dw", dw}}, xDesc, dwDesc,
            convDesc, dyDesc, algo, workSpace, workSpaceSizeInBytes, &g, &need))
        return s;
    Layout xt = xDesc->t, dyt = dyDesc->t, dwt = dwDesc->t;
    float a = scalar(alpha), b = scalar(beta);
    return queue(fn, handle, [=] {
        scribble(workSpace, need);
        Scratch kx, kdy;
        // Always scratch: a flipped gradient is flipped back before it is stored.
        Scratch grad(new float[dwt.count()]);
        conv_backward_filter(g, dense_in(xt, x, kx), dense_in(dyt, dy, kdy), grad.get());
        if (g.flip) flip_taps(g, grad.get());
        store(dwt, dw, grad.get(), a, b);
    });
}

// db = alpha * (dy summed over all but the channels) + beta * db; db is 1 x C x 1 x 1 (x 1).
cudnnStatus_t cudnnConvolutionBackwardBias(cudnnHandle_t handle, const void* alpha, const cudnnTensorDescriptor_t dyDesc, const void* dy,
    const void* beta, const cudnnTensorDescriptor_t dbDesc, void* db)
{
    const char* fn = "cudnnConvolutionBackwardBias";
    if (auto s = nonnull(fn, {{"handle", handle}, {"alpha", alpha}, {"dy", dy}, {"beta", beta}, {"db", db}})) return s;
    if (auto s = operand(fn, "dyDesc", dyDesc)) return s;
    if (auto s = operand(fn, "dbDesc", dbDesc)) return s;
    const Layout &y = dyDesc->t, &bias = dbDesc->t;
    if (y.rank != 4 && y.rank != 5) return fail(CUDNN_STATUS_NOT_SUPPORTED, fn, "dyDesc has %d dimensions; 4 or 5 are supported", y.rank);
    Layout want = derived(y, CUDNN_BATCHNORM_SPATIAL);
    want.type = y.type;
    if (!bias.same_dims(want) || bias.type != y.type)
        return fail(CUDNN_STATUS_BAD_PARAM, fn, "dbDesc is %s; dy %s takes %s", describe(bias).c_str(), describe(y).c_str(), describe(want).c_str());
    if (auto s = computable(fn, y)) return s;
    Layout yt = y, bt = bias;
    float a = scalar(alpha), b = scalar(beta);
    return queue(fn, handle, [=] {
        Scratch ky;
        const float* yd = dense_in(yt, dy, ky);
        long long n = yt.dim[0], c = yt.dim[1], spatial = yt.count() / n / c;
        std::vector<float> sums(c);
        for (long long k = 0; k < c; ++k) {
            double sum = 0;
            for (long long i = 0; i < n; ++i)
                for (long long at = (i * c + k) * spatial, j = 0; j < spatial; ++j) sum += yd[at + j];
            sums[k] = float(sum);
        }
        store(bt, db, sums.data(), a, b);
    });
}
}
