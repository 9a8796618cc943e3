// Raw bindings to cuBLAS, v2 API (libcublas.so.13 / .12).
// Written from cublas_api.h of cuBLAS 12.6.4 (CUDA 12.6.3) and library_types.h of the same
// toolkit. The _v2 names are the exported symbols behind cublas_v2.h's #defines.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace RawGan.Backends.Cuda.Interop;

public readonly record struct cublasHandle_t(nint Handle);

/// <summary>cublasStatus_t, values from cublas_api.h.</summary>
public enum cublasStatus_t
{
    CUBLAS_STATUS_SUCCESS = 0,
    CUBLAS_STATUS_NOT_INITIALIZED = 1,
    CUBLAS_STATUS_ALLOC_FAILED = 3,
    CUBLAS_STATUS_INVALID_VALUE = 7,
    CUBLAS_STATUS_ARCH_MISMATCH = 8,
    CUBLAS_STATUS_MAPPING_ERROR = 11,
    CUBLAS_STATUS_EXECUTION_FAILED = 13,
    CUBLAS_STATUS_INTERNAL_ERROR = 14,
    CUBLAS_STATUS_NOT_SUPPORTED = 15,
    CUBLAS_STATUS_LICENSE_ERROR = 16,
}

/// <summary>cublasOperation_t: cuBLAS matrices are column-major; OP_T transposes an operand.</summary>
public enum cublasOperation_t
{
    CUBLAS_OP_N = 0,
    CUBLAS_OP_T = 1,
    CUBLAS_OP_C = 2,
}

/// <summary>cublasMath_t for cublasSetMathMode.</summary>
public enum cublasMath_t
{
    CUBLAS_DEFAULT_MATH = 0,
    /// <summary>Deprecated by cuBLAS; same as CUBLAS_COMPUTE_32F_FAST_16F.</summary>
    CUBLAS_TENSOR_OP_MATH = 1,
    CUBLAS_PEDANTIC_MATH = 2,
    /// <summary>Lets single-precision routines round inputs to TF32 on tensor cores.</summary>
    CUBLAS_TF32_TENSOR_OP_MATH = 3,
    CUBLAS_MATH_DISALLOW_REDUCED_PRECISION_REDUCTION = 16,
}

/// <summary>cublasComputeType_t for cublasGemmEx and friends.</summary>
public enum cublasComputeType_t
{
    CUBLAS_COMPUTE_16F = 64,
    CUBLAS_COMPUTE_16F_PEDANTIC = 65,
    CUBLAS_COMPUTE_32F = 68,
    CUBLAS_COMPUTE_32F_PEDANTIC = 69,
    CUBLAS_COMPUTE_64F = 70,
    CUBLAS_COMPUTE_64F_PEDANTIC = 71,
    CUBLAS_COMPUTE_32I = 72,
    CUBLAS_COMPUTE_32I_PEDANTIC = 73,
    CUBLAS_COMPUTE_32F_FAST_16F = 74,
    CUBLAS_COMPUTE_32F_FAST_16BF = 75,
    CUBLAS_COMPUTE_32F_FAST_TF32 = 77,
}

/// <summary>cublasGemmAlgo_t: we let cuBLAS choose (its heuristics ignore the numbered algorithms since CUDA 11).</summary>
public enum cublasGemmAlgo_t
{
    CUBLAS_GEMM_DEFAULT = -1,
    /// <summary>Deprecated by cuBLAS; kept because older code passes it.</summary>
    CUBLAS_GEMM_DEFAULT_TENSOR_OP = 99,
}

/// <summary>cudaDataType (library_types.h): the real types we store.</summary>
public enum cudaDataType
{
    CUDA_R_32F = 0,
    CUDA_R_64F = 1,
    CUDA_R_16F = 2,
    CUDA_R_8I = 3,
    CUDA_R_32I = 10,
    CUDA_R_16BF = 14,
}

/// <summary>libraryPropertyType (library_types.h) for cublasGetProperty and cudnnGetProperty.</summary>
public enum libraryPropertyType
{
    MAJOR_VERSION = 0,
    MINOR_VERSION = 1,
    PATCH_LEVEL = 2,
}

public static unsafe partial class Cublas
{
    private const string Lib = NativeLibraries.Cublas;

    /// <summary>Creating a handle initializes the CUDA runtime on the current device (needs a GPU).</summary>
    [LibraryImport(Lib)] public static partial cublasStatus_t cublasCreate_v2(out cublasHandle_t handle);
    [LibraryImport(Lib)] public static partial cublasStatus_t cublasDestroy_v2(cublasHandle_t handle);
    /// <summary>version = major * 10000 + minor * 100 + patch (cuBLAS 12.6.4 gives 120604).</summary>
    [LibraryImport(Lib)] public static partial cublasStatus_t cublasGetVersion_v2(cublasHandle_t handle, out int version);
    /// <summary>The version without a handle or a GPU.</summary>
    [LibraryImport(Lib)] public static partial cublasStatus_t cublasGetProperty(libraryPropertyType type, out int value);
    /// <summary>Static strings owned by cuBLAS; never free them.</summary>
    [LibraryImport(Lib)] public static partial byte* cublasGetStatusName(cublasStatus_t status);
    [LibraryImport(Lib)] public static partial byte* cublasGetStatusString(cublasStatus_t status);
    [LibraryImport(Lib)] public static partial cublasStatus_t cublasSetStream_v2(cublasHandle_t handle, CUstream streamId);
    /// <summary>A user workspace; without one cuBLAS allocates its own per stream (not graph-capture safe).</summary>
    [LibraryImport(Lib)] public static partial cublasStatus_t cublasSetWorkspace_v2(cublasHandle_t handle, CUdeviceptr workspace, nuint workspaceSizeInBytes);
    [LibraryImport(Lib)] public static partial cublasStatus_t cublasSetMathMode(cublasHandle_t handle, cublasMath_t mode);

    // alpha and beta are host pointers (the default CUBLAS_POINTER_MODE_HOST); A, B, C device buffers.
    [LibraryImport(Lib)]
    public static partial cublasStatus_t cublasSgemm_v2(cublasHandle_t handle,
        cublasOperation_t transa, cublasOperation_t transb, int m, int n, int k,
        float* alpha, CUdeviceptr A, int lda, CUdeviceptr B, int ldb,
        float* beta, CUdeviceptr C, int ldc);

    [LibraryImport(Lib)]
    public static partial cublasStatus_t cublasSgemmStridedBatched(cublasHandle_t handle,
        cublasOperation_t transa, cublasOperation_t transb, int m, int n, int k,
        float* alpha, CUdeviceptr A, int lda, long strideA, CUdeviceptr B, int ldb, long strideB,
        float* beta, CUdeviceptr C, int ldc, long strideC, int batchCount);

    /// <summary>alpha and beta point at values of the compute type's scalar (float for the 32F types).</summary>
    [LibraryImport(Lib)]
    public static partial cublasStatus_t cublasGemmEx(cublasHandle_t handle,
        cublasOperation_t transa, cublasOperation_t transb, int m, int n, int k,
        void* alpha, CUdeviceptr A, cudaDataType Atype, int lda, CUdeviceptr B, cudaDataType Btype, int ldb,
        void* beta, CUdeviceptr C, cudaDataType Ctype, int ldc,
        cublasComputeType_t computeType, cublasGemmAlgo_t algo);

    [LibraryImport(Lib)]
    public static partial cublasStatus_t cublasGemmStridedBatchedEx(cublasHandle_t handle,
        cublasOperation_t transa, cublasOperation_t transb, int m, int n, int k,
        void* alpha, CUdeviceptr A, cudaDataType Atype, int lda, long strideA,
        CUdeviceptr B, cudaDataType Btype, int ldb, long strideB,
        void* beta, CUdeviceptr C, cudaDataType Ctype, int ldc, long strideC,
        int batchCount, cublasComputeType_t computeType, cublasGemmAlgo_t algo);

    /// <summary>Throws <see cref="CudaException"/> unless status is CUBLAS_STATUS_SUCCESS.</summary>
    public static void Check(cublasStatus_t status, [CallerArgumentExpression(nameof(status))] string call = "")
    {
        if (status == cublasStatus_t.CUBLAS_STATUS_SUCCESS) return;
        string name = status.ToString(), description = "";
        if (NativeLibraries.IsLoaded(NativeLibraries.Cublas))
        {
            if (cublasGetStatusName(status) is var n && n != null) name = Marshal.PtrToStringUTF8((nint)n) ?? name;
            if (cublasGetStatusString(status) is var s && s != null) description = Marshal.PtrToStringUTF8((nint)s) ?? "";
        }
        throw new CudaException(NativeLibraries.Cublas, CudaException.FunctionName(call), (int)status, name, description);
    }
}
