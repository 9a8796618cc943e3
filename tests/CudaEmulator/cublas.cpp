// Emulated cuBLAS (libcublas.so.13): the v2 entry points Interop/Cublas.cs binds, computed on the
// host. Types and enum values are those of cublas_api.h (cuBLAS 12.6.4) and library_types.h.
//
// Arguments are checked when called, as cuBLAS checks them; the product itself is queued on the
// handle's stream through emu::submit, holding the call's values, so a captured graph replays it.
// Products accumulate in float. CUBLAS_COMPUTE_32F_FAST_TF32 and _FAST_16BF round their inputs
// to TF32 (10 mantissa bits) and bfloat16 (7) first, to nearest even, as tensor cores read them.
#include "submit.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <system_error>
#include <thread>
#include <vector>

extern "C" {
// Fixed underlying types: any int the caller passes is a valid value to reject, not undefined.
typedef enum cublasStatus_t_ : int {
    CUBLAS_STATUS_SUCCESS = 0,
    CUBLAS_STATUS_NOT_INITIALIZED = 1,
    CUBLAS_STATUS_ALLOC_FAILED = 3,
    CUBLAS_STATUS_INVALID_VALUE = 7,
    CUBLAS_STATUS_ARCH_MISMATCH = 8,
    CUBLAS_STATUS_MAPPING_ERROR = 11,
    CUBLAS_STATUS_EXECUTION_FAILED = 13,
    CUBLAS_STATUS_INTERNAL_ERROR = 14,
    CUBLAS_STATUS_NOT_SUPPORTED = 15,
    CUBLAS_STATUS_LICENSE_ERROR = 16
} cublasStatus_t;
typedef enum cublasOperation_t_ : int { CUBLAS_OP_N = 0, CUBLAS_OP_T = 1, CUBLAS_OP_C = 2 } cublasOperation_t;
typedef enum cublasMath_t_ : int {
    CUBLAS_DEFAULT_MATH = 0,
    CUBLAS_TF32_TENSOR_OP_MATH = 3,
    CUBLAS_MATH_DISALLOW_REDUCED_PRECISION_REDUCTION = 16
} cublasMath_t;
typedef enum cublasComputeType_t_ : int {
    CUBLAS_COMPUTE_32F = 68,
    CUBLAS_COMPUTE_32F_PEDANTIC = 69,
    CUBLAS_COMPUTE_32F_FAST_16BF = 75,
    CUBLAS_COMPUTE_32F_FAST_TF32 = 77
} cublasComputeType_t;
typedef enum cublasGemmAlgo_t_ : int {
    CUBLAS_GEMM_DEFAULT = -1,
    CUBLAS_GEMM_ALGO23 = 23,
    CUBLAS_GEMM_DEFAULT_TENSOR_OP = 99,
    CUBLAS_GEMM_ALGO15_TENSOR_OP = 115
} cublasGemmAlgo_t;
typedef enum cudaDataType_t : int { CUDA_R_32F = 0, CUDA_R_16BF = 14 } cudaDataType;
typedef enum libraryPropertyType_t : int { MAJOR_VERSION, MINOR_VERSION, PATCH_LEVEL } libraryPropertyType;
typedef struct CUstream_st* cudaStream_t;
typedef struct cublasContext* cublasHandle_t;
}

// What a handle records: the stream and the math mode matter to a call; the workspace is unused.
struct cublasContext {
    cudaStream_t stream = nullptr;
    void* workspace = nullptr;
    size_t workspaceBytes = 0;
    int math = CUBLAS_DEFAULT_MATH;
};

namespace {
constexpr int Major = 13, Minor = 1, Patch = 0;  // reported as cuBLAS 13.1.0
constexpr int MR = 8, NR = 6;                     // register tile of C: 12 SSE accumulators
constexpr int MC = 128, NC = 96, KC = 256;        // cache tile of C (a task) and depth of a packed panel

// Rounds to nearest even, keeping 23 - drop mantissa bits (drop 13: TF32, 16: bfloat16).
float round_mantissa(float x, int drop)
{
    uint32_t u;
    std::memcpy(&u, &x, 4);
    if (std::isnan(x)) u |= 0x400000;  // a NaN stays a (quiet) NaN
    else u += (1u << (drop - 1)) - 1 + ((u >> drop) & 1);
    u &= ~0u << drop;
    std::memcpy(&x, &u, 4);
    return x;
}

float from_bf16(uint16_t h)
{
    uint32_t u = uint32_t(h) << 16;
    float x;
    std::memcpy(&x, &u, 4);
    return x;
}

uint16_t to_bf16(float x)
{
    x = round_mantissa(x, 16);
    uint32_t u;
    std::memcpy(&u, &x, 4);
    return uint16_t(u >> 16);
}

// Element (r, c) of batch item b sits at p[b * stride + r * rs + c * cs], as float or bfloat16.
struct Matrix {
    const void* p;
    bool bf16;
    long long rs, cs, stride;

    float at(long long i) const
    {
        return bf16 ? from_bf16(static_cast<const uint16_t*>(p)[i]) : static_cast<const float*>(p)[i];
    }
};

// One GEMM call, by value. a is op(A) (m x k); b is op(B) transposed (n x k), so both pack alike.
struct Gemm {
    int m, n, k, batch;
    Matrix a, b;
    void* c;
    bool cBf16;
    long long ldc, strideC;
    float alpha, beta;
    int drop;  // input mantissa bits the compute type drops: 0, 13 or 16

    // Rows [r0, r0 + rows) x columns [c0, c0 + cols) of x into panels of R rows, each column of a
    // panel contiguous, rows past the end zero: what the micro-kernel streams through.
    template <int R>
    void pack(float* dst, const Matrix& x, long long item, int r0, int rows, int c0, int cols) const
    {
        for (int p = 0; p < rows; p += R)
            for (int c = 0; c < cols; ++c, dst += R) {
                long long at = item * x.stride + (r0 + p) * x.rs + (c0 + c) * x.cs;
                int valid = std::min(R, rows - p);
                for (int r = 0; r < R; ++r) dst[r] = r < valid ? x.at(at + r * x.rs) : 0.f;
                if (drop)
                    for (int r = 0; r < R; ++r) dst[r] = round_mantissa(dst[r], drop);
            }
    }

    // An MR x NR block of t (column-major, leading dimension MC), set or added to, over depth
    // products. Kept out of line: inlined into tile, clang 14 spills the accumulators.
    __attribute__((noinline)) static void micro(int depth, const float* ap, const float* bp, float* t, bool add)
    {
        float acc[NR][MR] = {};
        for (int l = 0; l < depth; ++l, ap += MR, bp += NR)
            for (int j = 0; j < NR; ++j)
                for (int i = 0; i < MR; ++i) acc[j][i] += ap[i] * bp[j];
        for (int j = 0; j < NR; ++j)
            for (int i = 0; i < MR; ++i) t[i + j * MC] = add ? t[i + j * MC] + acc[j][i] : acc[j][i];
    }

    // One MC x NC tile of one batch item's C; t accumulates the whole depth before C is touched.
    void tile(long long task, float* ap, float* bp, float* t) const
    {
        long long tm = (m + MC - 1) / MC, tn = (n + NC - 1) / NC, item = task / (tm * tn), rest = task % (tm * tn);
        int i0 = int(rest % tm) * MC, j0 = int(rest / tm) * NC;
        int rows = std::min(MC, m - i0), cols = std::min(NC, n - j0);
        if (k == 0) std::fill(t, t + MC * NC, 0.f);
        for (int l0 = 0; l0 < k; l0 += KC) {
            int depth = std::min(KC, k - l0);
            pack<MR>(ap, a, item, i0, rows, l0, depth);
            pack<NR>(bp, b, item, j0, cols, l0, depth);
            for (int j = 0; j < cols; j += NR)
                for (int i = 0; i < rows; i += MR) micro(depth, ap + i * depth, bp + j * depth, t + i + j * MC, l0 > 0);
        }
        for (int j = 0; j < cols; ++j)
            for (int i = 0; i < rows; ++i) {
                long long offset = item * strideC + (i0 + i) + (j0 + j) * ldc;
                float v = alpha * t[i + j * MC];
                // beta 0: C is not read (it may hold NaN)
                if (cBf16) {
                    auto* cp = static_cast<uint16_t*>(c) + offset;
                    *cp = to_bf16(beta != 0 ? v + beta * from_bf16(*cp) : v);
                } else {
                    float* cp = static_cast<float*>(c) + offset;
                    *cp = beta != 0 ? v + beta * *cp : v;
                }
            }
    }

    void operator()() const
    {
        long long tasks = (long long)batch * ((m + MC - 1) / MC) * ((n + NC - 1) / NC);
        // A thread per 16 MFLOP (half a millisecond) or so: less work would not repay starting it.
        double flops = 2.0 * m * n * std::max(k, 1) * batch;
        int threads = int(std::min({double(std::max(1u, std::thread::hardware_concurrency())), double(tasks), 1 + flops / 16e6}));
        std::atomic<long long> next{0};
        auto worker = [&] {
            std::vector<float> ap(MC * KC), bp(NC * KC), t(MC * NC);
            for (long long task; (task = next++) < tasks;) tile(task, ap.data(), bp.data(), t.data());
        };
        std::vector<std::thread> pool;
        for (int i = 1; i < threads; ++i) {
            try {
                pool.emplace_back(worker);
            } catch (const std::system_error&) {
                break;  // no more threads to be had: the others share the work
            }
        }
        worker();
        for (auto& thread : pool) thread.join();
    }
};

#define STATUS(status, text) {status, #status, text}
struct StatusText {
    cublasStatus_t status;
    const char *name, *text;
} const Statuses[] = {
    STATUS(CUBLAS_STATUS_SUCCESS, "the operation completed successfully"),
    STATUS(CUBLAS_STATUS_NOT_INITIALIZED, "the library was not initialized"),
    STATUS(CUBLAS_STATUS_ALLOC_FAILED, "the resource allocation failed"),
    STATUS(CUBLAS_STATUS_INVALID_VALUE, "an invalid numeric value was used as an argument"),
    STATUS(CUBLAS_STATUS_ARCH_MISMATCH, "an absent device architectural feature is required"),
    STATUS(CUBLAS_STATUS_MAPPING_ERROR, "an access to GPU memory space failed"),
    STATUS(CUBLAS_STATUS_EXECUTION_FAILED, "the GPU program failed to execute"),
    STATUS(CUBLAS_STATUS_INTERNAL_ERROR, "an internal operation failed"),
    STATUS(CUBLAS_STATUS_NOT_SUPPORTED, "the functionality requested is not supported"),
    STATUS(CUBLAS_STATUS_LICENSE_ERROR, "error detected trying to check the license"),
};
#undef STATUS

const StatusText* status_text(cublasStatus_t status)
{
    for (const auto& known : Statuses)
        if (known.status == status) return &known;
    return nullptr;
}

bool op_ok(int op) { return op == CUBLAS_OP_N || op == CUBLAS_OP_T || op == CUBLAS_OP_C; }

cublasStatus_t gemm(cublasHandle_t handle, cublasOperation_t transa, cublasOperation_t transb, int m, int n, int k,
    const void* alpha, const void* A, cudaDataType Atype, int lda, long long strideA, const void* B,
    cudaDataType Btype, int ldb, long long strideB, const void* beta, void* C, cudaDataType Ctype, int ldc,
    long long strideC, int batchCount, cublasComputeType_t computeType, int algo)
{
    if (!handle) return CUBLAS_STATUS_NOT_INITIALIZED;
    bool ta = transa != CUBLAS_OP_N, tb = transb != CUBLAS_OP_N;  // OP_C is OP_T for real types
    if (!op_ok(transa) || !op_ok(transb) || m < 0 || n < 0 || k < 0 || batchCount < 0 || !alpha || !beta ||
        lda < std::max(1, ta ? k : m) || ldb < std::max(1, tb ? n : k) || ldc < std::max(1, m))
        return CUBLAS_STATUS_INVALID_VALUE;
    // The combinations cuBLAS documents for these compute types, scale type float.
    int drop = -1;
    bool f32 = Atype == CUDA_R_32F && Btype == CUDA_R_32F, bf16 = Atype == CUDA_R_16BF && Btype == CUDA_R_16BF;
    if (computeType == CUBLAS_COMPUTE_32F || computeType == CUBLAS_COMPUTE_32F_PEDANTIC) {
        if ((f32 && Ctype == CUDA_R_32F) || (bf16 && (Ctype == CUDA_R_32F || Ctype == CUDA_R_16BF))) drop = 0;
        // The handle's TF32 math mode lets single-precision products use TF32 unless pedantic.
        if (f32 && computeType == CUBLAS_COMPUTE_32F && (handle->math & 15) == CUBLAS_TF32_TENSOR_OP_MATH) drop = 13;
    } else if (f32 && Ctype == CUDA_R_32F) {
        if (computeType == CUBLAS_COMPUTE_32F_FAST_TF32) drop = 13;
        if (computeType == CUBLAS_COMPUTE_32F_FAST_16BF) drop = 16;
    }
    bool algoOk = (algo >= CUBLAS_GEMM_DEFAULT && algo <= CUBLAS_GEMM_ALGO23) ||
        (algo >= CUBLAS_GEMM_DEFAULT_TENSOR_OP && algo <= CUBLAS_GEMM_ALGO15_TENSOR_OP);
    if (drop < 0 || !algoOk) return CUBLAS_STATUS_NOT_SUPPORTED;
    if (m == 0 || n == 0 || batchCount == 0) return CUBLAS_STATUS_SUCCESS;
    float alphaValue = *static_cast<const float*>(alpha), betaValue = *static_cast<const float*>(beta);
    // As reference BLAS: alpha 0 reads neither A nor B, and then beta 1 leaves C as it is.
    int depth = alphaValue == 0 ? 0 : k;
    if (depth == 0 && betaValue == 1) return CUBLAS_STATUS_SUCCESS;
    Gemm work{m, n, depth, batchCount, Matrix{A, Atype == CUDA_R_16BF, ta ? lda : 1, ta ? 1 : lda, strideA},
        Matrix{B, Btype == CUDA_R_16BF, tb ? 1 : ldb, tb ? ldb : 1, strideB}, C, Ctype == CUDA_R_16BF, ldc, strideC,
        alphaValue, betaValue, drop};
    // A capture the driver refuses is a launch that failed.
    return emu::submit(handle->stream, work) == 0 ? CUBLAS_STATUS_SUCCESS : CUBLAS_STATUS_EXECUTION_FAILED;
}
}  // namespace

extern "C" {
cublasStatus_t cublasCreate_v2(cublasHandle_t* handle)
{
    if (!handle) return CUBLAS_STATUS_INVALID_VALUE;
    *handle = new cublasContext();
    return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasDestroy_v2(cublasHandle_t handle)
{
    if (!handle) return CUBLAS_STATUS_NOT_INITIALIZED;
    delete handle;
    return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasGetVersion_v2(cublasHandle_t, int* version)
{
    if (!version) return CUBLAS_STATUS_INVALID_VALUE;
    *version = Major * 10000 + Minor * 100 + Patch;
    return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasGetProperty(libraryPropertyType type, int* value)
{
    if (!value || type < MAJOR_VERSION || type > PATCH_LEVEL) return CUBLAS_STATUS_INVALID_VALUE;
    *value = type == MAJOR_VERSION ? Major : type == MINOR_VERSION ? Minor : Patch;
    return CUBLAS_STATUS_SUCCESS;
}

const char* cublasGetStatusName(cublasStatus_t status)
{
    const StatusText* known = status_text(status);
    return known ? known->name : "<unknown>";
}

const char* cublasGetStatusString(cublasStatus_t status)
{
    const StatusText* known = status_text(status);
    return known ? known->text : "unknown error";
}

// Setting the stream drops a user workspace, as cuBLAS documents: set the workspace after it.
cublasStatus_t cublasSetStream_v2(cublasHandle_t handle, cudaStream_t streamId)
{
    if (!handle) return CUBLAS_STATUS_NOT_INITIALIZED;
    *handle = cublasContext{streamId, nullptr, 0, handle->math};
    return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSetWorkspace_v2(cublasHandle_t handle, void* workspace, size_t workspaceSizeInBytes)
{
    if (!handle) return CUBLAS_STATUS_NOT_INITIALIZED;
    if (reinterpret_cast<uintptr_t>(workspace) % 256 != 0) return CUBLAS_STATUS_INVALID_VALUE;
    handle->workspace = workspace;
    handle->workspaceBytes = workspaceSizeInBytes;
    return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSetMathMode(cublasHandle_t handle, cublasMath_t mode)
{
    if (!handle) return CUBLAS_STATUS_NOT_INITIALIZED;
    int base = mode & ~CUBLAS_MATH_DISALLOW_REDUCED_PRECISION_REDUCTION;
    if (base < CUBLAS_DEFAULT_MATH || base > CUBLAS_TF32_TENSOR_OP_MATH) return CUBLAS_STATUS_INVALID_VALUE;
    handle->math = mode;
    return CUBLAS_STATUS_SUCCESS;
}

cublasStatus_t cublasSgemm_v2(cublasHandle_t handle, cublasOperation_t transa, cublasOperation_t transb, int m, int n,
    int k, const float* alpha, const float* A, int lda, const float* B, int ldb, const float* beta, float* C, int ldc)
{
    return gemm(handle, transa, transb, m, n, k, alpha, A, CUDA_R_32F, lda, 0, B, CUDA_R_32F, ldb, 0, beta, C,
        CUDA_R_32F, ldc, 0, 1, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT);
}

cublasStatus_t cublasSgemmStridedBatched(cublasHandle_t handle, cublasOperation_t transa, cublasOperation_t transb,
    int m, int n, int k, const float* alpha, const float* A, int lda, long long int strideA, const float* B, int ldb,
    long long int strideB, const float* beta, float* C, int ldc, long long int strideC, int batchCount)
{
    return gemm(handle, transa, transb, m, n, k, alpha, A, CUDA_R_32F, lda, strideA, B, CUDA_R_32F, ldb, strideB,
        beta, C, CUDA_R_32F, ldc, strideC, batchCount, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT);
}

cublasStatus_t cublasGemmEx(cublasHandle_t handle, cublasOperation_t transa, cublasOperation_t transb, int m, int n,
    int k, const void* alpha, const void* A, cudaDataType Atype, int lda, const void* B, cudaDataType Btype, int ldb,
    const void* beta, void* C, cudaDataType Ctype, int ldc, cublasComputeType_t computeType, cublasGemmAlgo_t algo)
{
    return gemm(handle, transa, transb, m, n, k, alpha, A, Atype, lda, 0, B, Btype, ldb, 0, beta, C, Ctype, ldc, 0, 1,
        computeType, algo);
}

cublasStatus_t cublasGemmStridedBatchedEx(cublasHandle_t handle, cublasOperation_t transa, cublasOperation_t transb,
    int m, int n, int k, const void* alpha, const void* A, cudaDataType Atype, int lda, long long int strideA,
    const void* B, cudaDataType Btype, int ldb, long long int strideB, const void* beta, void* C, cudaDataType Ctype,
    int ldc, long long int strideC, int batchCount, cublasComputeType_t computeType, cublasGemmAlgo_t algo)
{
    return gemm(handle, transa, transb, m, n, k, alpha, A, Atype, lda, strideA, B, Btype, ldb, strideB, beta, C, Ctype,
        ldc, strideC, batchCount, computeType, algo);
}
}
