// Raw bindings to cuDNN 9's descriptor ("legacy") API (libcudnn.so.9).
// Written from cudnn_graph.h, cudnn_ops.h and cudnn_cnn.h of cuDNN 9.6.0. cuDNN 9 marks these
// functions deprecated but still ships them in libcudnn_ops/libcudnn_cnn; libcudnn.so.9 is the
// shim that exports every one of them and loads those sub-libraries on first use.
// Host scalars (alpha, beta) point at a float for float tensors, at a double for double tensors.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace RawGan.Backends.Cuda.Interop;

public readonly record struct cudnnHandle_t(nint Handle);
public readonly record struct cudnnTensorDescriptor_t(nint Handle);
public readonly record struct cudnnFilterDescriptor_t(nint Handle);
public readonly record struct cudnnConvolutionDescriptor_t(nint Handle);
public readonly record struct cudnnPoolingDescriptor_t(nint Handle);

/// <summary>cudnnStatus_t, values from cudnn_graph.h (9.x: category * 1000 + detail).</summary>
public enum cudnnStatus_t
{
    CUDNN_STATUS_SUCCESS = 0,
    CUDNN_STATUS_NOT_INITIALIZED = 1001,
    CUDNN_STATUS_SUBLIBRARY_VERSION_MISMATCH = 1002,
    CUDNN_STATUS_SERIALIZATION_VERSION_MISMATCH = 1003,
    CUDNN_STATUS_DEPRECATED = 1004,
    CUDNN_STATUS_LICENSE_ERROR = 1005,
    CUDNN_STATUS_RUNTIME_IN_PROGRESS = 1006,
    CUDNN_STATUS_RUNTIME_FP_OVERFLOW = 1007,
    CUDNN_STATUS_SUBLIBRARY_LOADING_FAILED = 1008,
    CUDNN_STATUS_BAD_PARAM = 2000,
    CUDNN_STATUS_INVALID_VALUE = 2001,
    CUDNN_STATUS_BAD_PARAM_NULL_POINTER = 2002,
    CUDNN_STATUS_BAD_PARAM_MISALIGNED_POINTER = 2003,
    CUDNN_STATUS_BAD_PARAM_NOT_FINALIZED = 2004,
    CUDNN_STATUS_BAD_PARAM_OUT_OF_BOUND = 2005,
    CUDNN_STATUS_BAD_PARAM_SIZE_INSUFFICIENT = 2006,
    CUDNN_STATUS_BAD_PARAM_STREAM_MISMATCH = 2007,
    CUDNN_STATUS_BAD_PARAM_SHAPE_MISMATCH = 2008,
    CUDNN_STATUS_BAD_PARAM_DUPLICATED_ENTRIES = 2009,
    CUDNN_STATUS_BAD_PARAM_ATTRIBUTE_TYPE = 2010,
    CUDNN_STATUS_BAD_PARAM_CUDA_GRAPH_MISMATCH = 2011,
    CUDNN_STATUS_BAD_PARAM_DESCRIPTOR_TYPE = 2012,
    CUDNN_STATUS_NOT_SUPPORTED = 3000,
    CUDNN_STATUS_NOT_SUPPORTED_GRAPH_PATTERN = 3001,
    CUDNN_STATUS_NOT_SUPPORTED_SHAPE = 3002,
    CUDNN_STATUS_NOT_SUPPORTED_DATA_TYPE = 3003,
    CUDNN_STATUS_NOT_SUPPORTED_LAYOUT = 3004,
    CUDNN_STATUS_NOT_SUPPORTED_INCOMPATIBLE_CUDA_DRIVER = 3005,
    CUDNN_STATUS_NOT_SUPPORTED_INCOMPATIBLE_CUDART = 3006,
    CUDNN_STATUS_NOT_SUPPORTED_ARCH_MISMATCH = 3007,
    CUDNN_STATUS_NOT_SUPPORTED_RUNTIME_PREREQUISITE_MISSING = 3008,
    CUDNN_STATUS_NOT_SUPPORTED_SUBLIBRARY_UNAVAILABLE = 3009,
    CUDNN_STATUS_NOT_SUPPORTED_SHARED_MEMORY_INSUFFICIENT = 3010,
    CUDNN_STATUS_NOT_SUPPORTED_PADDING = 3011,
    CUDNN_STATUS_NOT_SUPPORTED_BAD_LAUNCH_PARAM = 3012,
    CUDNN_STATUS_NOT_SUPPORTED_CUDA_GRAPH_NATIVE_API = 3013,
    CUDNN_STATUS_INTERNAL_ERROR = 4000,
    CUDNN_STATUS_INTERNAL_ERROR_COMPILATION_FAILED = 4001,
    CUDNN_STATUS_INTERNAL_ERROR_UNEXPECTED_VALUE = 4002,
    CUDNN_STATUS_INTERNAL_ERROR_HOST_ALLOCATION_FAILED = 4003,
    CUDNN_STATUS_INTERNAL_ERROR_DEVICE_ALLOCATION_FAILED = 4004,
    CUDNN_STATUS_INTERNAL_ERROR_BAD_LAUNCH_PARAM = 4005,
    CUDNN_STATUS_INTERNAL_ERROR_TEXTURE_CREATION_FAILED = 4006,
    CUDNN_STATUS_EXECUTION_FAILED = 5000,
    CUDNN_STATUS_EXECUTION_FAILED_CUDA_DRIVER = 5001,
    CUDNN_STATUS_EXECUTION_FAILED_CUBLAS = 5002,
    CUDNN_STATUS_EXECUTION_FAILED_CUDART = 5003,
    CUDNN_STATUS_EXECUTION_FAILED_CURAND = 5004,
}

public enum cudnnDataType_t
{
    CUDNN_DATA_FLOAT = 0,
    CUDNN_DATA_DOUBLE = 1,
    CUDNN_DATA_HALF = 2,
    CUDNN_DATA_INT8 = 3,
    CUDNN_DATA_INT32 = 4,
    CUDNN_DATA_UINT8 = 6,
    CUDNN_DATA_BFLOAT16 = 9,
    CUDNN_DATA_INT64 = 10,
    CUDNN_DATA_BOOLEAN = 11,
    CUDNN_DATA_FP8_E4M3 = 12,
    CUDNN_DATA_FP8_E5M2 = 13,
}

public enum cudnnTensorFormat_t
{
    /// <summary>Row major: wStride = 1, hStride = w.</summary>
    CUDNN_TENSOR_NCHW = 0,
    /// <summary>Channels interleaved: cStride = 1.</summary>
    CUDNN_TENSOR_NHWC = 1,
    CUDNN_TENSOR_NCHW_VECT_C = 2,
}

public enum cudnnMathType_t
{
    /// <summary>On Ampere and newer this allows TF32 tensor cores for float convolutions.</summary>
    CUDNN_DEFAULT_MATH = 0,
    CUDNN_TENSOR_OP_MATH = 1,
    CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION = 2,
    /// <summary>Plain FMA: float results that match a float CPU reference closely.</summary>
    CUDNN_FMA_MATH = 3,
}

public enum cudnnNanPropagation_t
{
    CUDNN_NOT_PROPAGATE_NAN = 0,
    CUDNN_PROPAGATE_NAN = 1,
}

public enum cudnnDeterminism_t
{
    CUDNN_NON_DETERMINISTIC = 0,
    CUDNN_DETERMINISTIC = 1,
}

public enum cudnnConvolutionMode_t
{
    /// <summary>True convolution: the filter is flipped.</summary>
    CUDNN_CONVOLUTION = 0,
    /// <summary>What deep learning calls convolution (PyTorch's conv2d).</summary>
    CUDNN_CROSS_CORRELATION = 1,
}

public enum cudnnConvolutionFwdAlgo_t
{
    CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM = 0,
    CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_PRECOMP_GEMM = 1,
    CUDNN_CONVOLUTION_FWD_ALGO_GEMM = 2,
    CUDNN_CONVOLUTION_FWD_ALGO_DIRECT = 3,
    CUDNN_CONVOLUTION_FWD_ALGO_FFT = 4,
    CUDNN_CONVOLUTION_FWD_ALGO_FFT_TILING = 5,
    CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD = 6,
    CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD_NONFUSED = 7,
    CUDNN_CONVOLUTION_FWD_ALGO_COUNT = 8,
}

public enum cudnnConvolutionBwdDataAlgo_t
{
    /// <summary>Non-deterministic.</summary>
    CUDNN_CONVOLUTION_BWD_DATA_ALGO_0 = 0,
    CUDNN_CONVOLUTION_BWD_DATA_ALGO_1 = 1,
    CUDNN_CONVOLUTION_BWD_DATA_ALGO_FFT = 2,
    CUDNN_CONVOLUTION_BWD_DATA_ALGO_FFT_TILING = 3,
    CUDNN_CONVOLUTION_BWD_DATA_ALGO_WINOGRAD = 4,
    CUDNN_CONVOLUTION_BWD_DATA_ALGO_WINOGRAD_NONFUSED = 5,
    CUDNN_CONVOLUTION_BWD_DATA_ALGO_COUNT = 6,
}

public enum cudnnConvolutionBwdFilterAlgo_t
{
    /// <summary>Non-deterministic.</summary>
    CUDNN_CONVOLUTION_BWD_FILTER_ALGO_0 = 0,
    CUDNN_CONVOLUTION_BWD_FILTER_ALGO_1 = 1,
    CUDNN_CONVOLUTION_BWD_FILTER_ALGO_FFT = 2,
    /// <summary>Non-deterministic.</summary>
    CUDNN_CONVOLUTION_BWD_FILTER_ALGO_3 = 3,
    CUDNN_CONVOLUTION_BWD_FILTER_ALGO_WINOGRAD = 4,
    CUDNN_CONVOLUTION_BWD_FILTER_ALGO_WINOGRAD_NONFUSED = 5,
    CUDNN_CONVOLUTION_BWD_FILTER_ALGO_FFT_TILING = 6,
    CUDNN_CONVOLUTION_BWD_FILTER_ALGO_COUNT = 7,
}

public enum cudnnBatchNormMode_t
{
    /// <summary>Scale, bias, mean, variance are 1xCxHxW: statistics over N only.</summary>
    CUDNN_BATCHNORM_PER_ACTIVATION = 0,
    /// <summary>Scale, bias, mean, variance are 1xCx1x1: statistics over N, H, W (BatchNorm2d).</summary>
    CUDNN_BATCHNORM_SPATIAL = 1,
    CUDNN_BATCHNORM_SPATIAL_PERSISTENT = 2,
}

public enum cudnnPoolingMode_t
{
    CUDNN_POOLING_MAX = 0,
    CUDNN_POOLING_AVERAGE_COUNT_INCLUDE_PADDING = 1,
    CUDNN_POOLING_AVERAGE_COUNT_EXCLUDE_PADDING = 2,
    CUDNN_POOLING_MAX_DETERMINISTIC = 3,
}

// The three perf structs share one layout (cudnn_cnn.h): algo, status, time, then a size_t that
// 8-byte alignment puts at offset 16, two enums, int reserved[3], and padding to 48 bytes.

[StructLayout(LayoutKind.Explicit, Size = 48)]
public struct cudnnConvolutionFwdAlgoPerf_t
{
    [FieldOffset(0)] public cudnnConvolutionFwdAlgo_t algo;
    [FieldOffset(4)] public cudnnStatus_t status;
    /// <summary>Milliseconds (Find only; Get_v7 leaves -1).</summary>
    [FieldOffset(8)] public float time;
    /// <summary>Workspace bytes the algorithm needs.</summary>
    [FieldOffset(16)] public nuint memory;
    [FieldOffset(24)] public cudnnDeterminism_t determinism;
    [FieldOffset(28)] public cudnnMathType_t mathType;
}

[StructLayout(LayoutKind.Explicit, Size = 48)]
public struct cudnnConvolutionBwdDataAlgoPerf_t
{
    [FieldOffset(0)] public cudnnConvolutionBwdDataAlgo_t algo;
    [FieldOffset(4)] public cudnnStatus_t status;
    [FieldOffset(8)] public float time;
    [FieldOffset(16)] public nuint memory;
    [FieldOffset(24)] public cudnnDeterminism_t determinism;
    [FieldOffset(28)] public cudnnMathType_t mathType;
}

[StructLayout(LayoutKind.Explicit, Size = 48)]
public struct cudnnConvolutionBwdFilterAlgoPerf_t
{
    [FieldOffset(0)] public cudnnConvolutionBwdFilterAlgo_t algo;
    [FieldOffset(4)] public cudnnStatus_t status;
    [FieldOffset(8)] public float time;
    [FieldOffset(16)] public nuint memory;
    [FieldOffset(24)] public cudnnDeterminism_t determinism;
    [FieldOffset(28)] public cudnnMathType_t mathType;
}

public static unsafe partial class Cudnn
{
    private const string Lib = NativeLibraries.Cudnn;

    // ---- library ----
    /// <summary>major * 10000 + minor * 100 + patch in cuDNN 9 (9.6.0 gives 90600).</summary>
    [LibraryImport(Lib)] public static partial nuint cudnnGetVersion();
    [LibraryImport(Lib)] public static partial cudnnStatus_t cudnnGetProperty(libraryPropertyType type, out int value);
    /// <summary>A static string owned by cuDNN (the status's name); never free it.</summary>
    [LibraryImport(Lib)] public static partial byte* cudnnGetErrorString(cudnnStatus_t status);
    /// <summary>The detailed message of this thread's last failed call; clears it.</summary>
    [LibraryImport(Lib)] public static partial void cudnnGetLastErrorString(byte* message, nuint max_size);
    [LibraryImport(Lib)] public static partial cudnnStatus_t cudnnCreate(out cudnnHandle_t handle);
    [LibraryImport(Lib)] public static partial cudnnStatus_t cudnnDestroy(cudnnHandle_t handle);
    [LibraryImport(Lib)] public static partial cudnnStatus_t cudnnSetStream(cudnnHandle_t handle, CUstream streamId);

    // ---- tensor descriptors ----
    [LibraryImport(Lib)] public static partial cudnnStatus_t cudnnCreateTensorDescriptor(out cudnnTensorDescriptor_t tensorDesc);
    [LibraryImport(Lib)] public static partial cudnnStatus_t cudnnDestroyTensorDescriptor(cudnnTensorDescriptor_t tensorDesc);
    [LibraryImport(Lib)]
    public static partial cudnnStatus_t cudnnSetTensor4dDescriptor(cudnnTensorDescriptor_t tensorDesc,
        cudnnTensorFormat_t format, cudnnDataType_t dataType, int n, int c, int h, int w);
    [LibraryImport(Lib)]
    public static partial cudnnStatus_t cudnnSetTensor4dDescriptorEx(cudnnTensorDescriptor_t tensorDesc,
        cudnnDataType_t dataType, int n, int c, int h, int w, int nStride, int cStride, int hStride, int wStride);
    /// <summary>dimA and strideA: nbDims ints each (nbDims from 3 to 8; use 4-d for images).</summary>
    [LibraryImport(Lib)]
    public static partial cudnnStatus_t cudnnSetTensorNdDescriptor(cudnnTensorDescriptor_t tensorDesc,
        cudnnDataType_t dataType, int nbDims, int* dimA, int* strideA);

    // ---- filter descriptors (weights: k output channels, c input channels per group) ----
    [LibraryImport(Lib)] public static partial cudnnStatus_t cudnnCreateFilterDescriptor(out cudnnFilterDescriptor_t filterDesc);
    [LibraryImport(Lib)] public static partial cudnnStatus_t cudnnDestroyFilterDescriptor(cudnnFilterDescriptor_t filterDesc);
    [LibraryImport(Lib)]
    public static partial cudnnStatus_t cudnnSetFilter4dDescriptor(cudnnFilterDescriptor_t filterDesc,
        cudnnDataType_t dataType, cudnnTensorFormat_t format, int k, int c, int h, int w);

    // ---- convolution descriptors ----
    [LibraryImport(Lib)] public static partial cudnnStatus_t cudnnCreateConvolutionDescriptor(out cudnnConvolutionDescriptor_t convDesc);
    [LibraryImport(Lib)] public static partial cudnnStatus_t cudnnDestroyConvolutionDescriptor(cudnnConvolutionDescriptor_t convDesc);
    /// <summary>u, v: vertical and horizontal stride; computeType: the accumulation type.</summary>
    [LibraryImport(Lib)]
    public static partial cudnnStatus_t cudnnSetConvolution2dDescriptor(cudnnConvolutionDescriptor_t convDesc,
        int pad_h, int pad_w, int u, int v, int dilation_h, int dilation_w,
        cudnnConvolutionMode_t mode, cudnnDataType_t computeType);
    [LibraryImport(Lib)] public static partial cudnnStatus_t cudnnSetConvolutionGroupCount(cudnnConvolutionDescriptor_t convDesc, int groupCount);
    [LibraryImport(Lib)] public static partial cudnnStatus_t cudnnSetConvolutionMathType(cudnnConvolutionDescriptor_t convDesc, cudnnMathType_t mathType);
    [LibraryImport(Lib)]
    public static partial cudnnStatus_t cudnnGetConvolution2dForwardOutputDim(cudnnConvolutionDescriptor_t convDesc,
        cudnnTensorDescriptor_t inputTensorDesc, cudnnFilterDescriptor_t filterDesc, out int n, out int c, out int h, out int w);

    // ---- algorithm choice: Find runs every candidate (slow, exact); Get_v7 asks heuristics (fast) ----
    [LibraryImport(Lib)] public static partial cudnnStatus_t cudnnGetConvolutionForwardAlgorithmMaxCount(cudnnHandle_t handle, out int count);
    [LibraryImport(Lib)]
    public static partial cudnnStatus_t cudnnFindConvolutionForwardAlgorithm(cudnnHandle_t handle,
        cudnnTensorDescriptor_t xDesc, cudnnFilterDescriptor_t wDesc, cudnnConvolutionDescriptor_t convDesc, cudnnTensorDescriptor_t yDesc,
        int requestedAlgoCount, out int returnedAlgoCount, cudnnConvolutionFwdAlgoPerf_t* perfResults);
    [LibraryImport(Lib)]
    public static partial cudnnStatus_t cudnnGetConvolutionForwardAlgorithm_v7(cudnnHandle_t handle,
        cudnnTensorDescriptor_t srcDesc, cudnnFilterDescriptor_t filterDesc, cudnnConvolutionDescriptor_t convDesc, cudnnTensorDescriptor_t destDesc,
        int requestedAlgoCount, out int returnedAlgoCount, cudnnConvolutionFwdAlgoPerf_t* perfResults);

    [LibraryImport(Lib)] public static partial cudnnStatus_t cudnnGetConvolutionBackwardDataAlgorithmMaxCount(cudnnHandle_t handle, out int count);
    [LibraryImport(Lib)]
    public static partial cudnnStatus_t cudnnFindConvolutionBackwardDataAlgorithm(cudnnHandle_t handle,
        cudnnFilterDescriptor_t wDesc, cudnnTensorDescriptor_t dyDesc, cudnnConvolutionDescriptor_t convDesc, cudnnTensorDescriptor_t dxDesc,
        int requestedAlgoCount, out int returnedAlgoCount, cudnnConvolutionBwdDataAlgoPerf_t* perfResults);
    [LibraryImport(Lib)]
    public static partial cudnnStatus_t cudnnGetConvolutionBackwardDataAlgorithm_v7(cudnnHandle_t handle,
        cudnnFilterDescriptor_t filterDesc, cudnnTensorDescriptor_t diffDesc, cudnnConvolutionDescriptor_t convDesc, cudnnTensorDescriptor_t gradDesc,
        int requestedAlgoCount, out int returnedAlgoCount, cudnnConvolutionBwdDataAlgoPerf_t* perfResults);

    [LibraryImport(Lib)] public static partial cudnnStatus_t cudnnGetConvolutionBackwardFilterAlgorithmMaxCount(cudnnHandle_t handle, out int count);
    [LibraryImport(Lib)]
    public static partial cudnnStatus_t cudnnFindConvolutionBackwardFilterAlgorithm(cudnnHandle_t handle,
        cudnnTensorDescriptor_t xDesc, cudnnTensorDescriptor_t dyDesc, cudnnConvolutionDescriptor_t convDesc, cudnnFilterDescriptor_t dwDesc,
        int requestedAlgoCount, out int returnedAlgoCount, cudnnConvolutionBwdFilterAlgoPerf_t* perfResults);
    [LibraryImport(Lib)]
    public static partial cudnnStatus_t cudnnGetConvolutionBackwardFilterAlgorithm_v7(cudnnHandle_t handle,
        cudnnTensorDescriptor_t srcDesc, cudnnTensorDescriptor_t diffDesc, cudnnConvolutionDescriptor_t convDesc, cudnnFilterDescriptor_t gradDesc,
        int requestedAlgoCount, out int returnedAlgoCount, cudnnConvolutionBwdFilterAlgoPerf_t* perfResults);

    // ---- workspace sizes ----
    [LibraryImport(Lib)]
    public static partial cudnnStatus_t cudnnGetConvolutionForwardWorkspaceSize(cudnnHandle_t handle,
        cudnnTensorDescriptor_t xDesc, cudnnFilterDescriptor_t wDesc, cudnnConvolutionDescriptor_t convDesc, cudnnTensorDescriptor_t yDesc,
        cudnnConvolutionFwdAlgo_t algo, out nuint sizeInBytes);
    [LibraryImport(Lib)]
    public static partial cudnnStatus_t cudnnGetConvolutionBackwardDataWorkspaceSize(cudnnHandle_t handle,
        cudnnFilterDescriptor_t wDesc, cudnnTensorDescriptor_t dyDesc, cudnnConvolutionDescriptor_t convDesc, cudnnTensorDescriptor_t dxDesc,
        cudnnConvolutionBwdDataAlgo_t algo, out nuint sizeInBytes);
    [LibraryImport(Lib)]
    public static partial cudnnStatus_t cudnnGetConvolutionBackwardFilterWorkspaceSize(cudnnHandle_t handle,
        cudnnTensorDescriptor_t xDesc, cudnnTensorDescriptor_t dyDesc, cudnnConvolutionDescriptor_t convDesc, cudnnFilterDescriptor_t gradDesc,
        cudnnConvolutionBwdFilterAlgo_t algo, out nuint sizeInBytes);

    // ---- convolutions: y = alpha * op(inputs) + beta * y ----
    [LibraryImport(Lib)]
    public static partial cudnnStatus_t cudnnConvolutionForward(cudnnHandle_t handle, void* alpha,
        cudnnTensorDescriptor_t xDesc, CUdeviceptr x, cudnnFilterDescriptor_t wDesc, CUdeviceptr w,
        cudnnConvolutionDescriptor_t convDesc, cudnnConvolutionFwdAlgo_t algo, CUdeviceptr workSpace, nuint workSpaceSizeInBytes,
        void* beta, cudnnTensorDescriptor_t yDesc, CUdeviceptr y);
    [LibraryImport(Lib)]
    public static partial cudnnStatus_t cudnnConvolutionBackwardData(cudnnHandle_t handle, void* alpha,
        cudnnFilterDescriptor_t wDesc, CUdeviceptr w, cudnnTensorDescriptor_t dyDesc, CUdeviceptr dy,
        cudnnConvolutionDescriptor_t convDesc, cudnnConvolutionBwdDataAlgo_t algo, CUdeviceptr workSpace, nuint workSpaceSizeInBytes,
        void* beta, cudnnTensorDescriptor_t dxDesc, CUdeviceptr dx);
    [LibraryImport(Lib)]
    public static partial cudnnStatus_t cudnnConvolutionBackwardFilter(cudnnHandle_t handle, void* alpha,
        cudnnTensorDescriptor_t xDesc, CUdeviceptr x, cudnnTensorDescriptor_t dyDesc, CUdeviceptr dy,
        cudnnConvolutionDescriptor_t convDesc, cudnnConvolutionBwdFilterAlgo_t algo, CUdeviceptr workSpace, nuint workSpaceSizeInBytes,
        void* beta, cudnnFilterDescriptor_t dwDesc, CUdeviceptr dw);
    /// <summary>db (1xCx1x1) = alpha * sum of dy over N, H, W + beta * db.</summary>
    [LibraryImport(Lib)]
    public static partial cudnnStatus_t cudnnConvolutionBackwardBias(cudnnHandle_t handle, void* alpha,
        cudnnTensorDescriptor_t dyDesc, CUdeviceptr dy, void* beta, cudnnTensorDescriptor_t dbDesc, CUdeviceptr db);
    /// <summary>C = alpha * A + beta * C, A broadcast over C (a bias add).</summary>
    [LibraryImport(Lib)]
    public static partial cudnnStatus_t cudnnAddTensor(cudnnHandle_t handle, void* alpha,
        cudnnTensorDescriptor_t aDesc, CUdeviceptr A, void* beta, cudnnTensorDescriptor_t cDesc, CUdeviceptr C);

    // ---- batch normalization ----
    /// <summary>Fills derivedBnDesc with the 1xCx1x1 (spatial) or 1xCxHxW shape of scale, bias, mean, variance.</summary>
    [LibraryImport(Lib)]
    public static partial cudnnStatus_t cudnnDeriveBNTensorDescriptor(cudnnTensorDescriptor_t derivedBnDesc,
        cudnnTensorDescriptor_t xDesc, cudnnBatchNormMode_t mode);
    /// <summary>
    /// running = (1 - factor) * running + factor * batch statistic (the variance unbiased);
    /// saveMean and saveInvVariance (1 / sqrt(biased variance + epsilon)) feed the backward pass.
    /// </summary>
    [LibraryImport(Lib)]
    public static partial cudnnStatus_t cudnnBatchNormalizationForwardTraining(cudnnHandle_t handle, cudnnBatchNormMode_t mode,
        void* alpha, void* beta, cudnnTensorDescriptor_t xDesc, CUdeviceptr x, cudnnTensorDescriptor_t yDesc, CUdeviceptr y,
        cudnnTensorDescriptor_t bnScaleBiasMeanVarDesc, CUdeviceptr bnScale, CUdeviceptr bnBias,
        double exponentialAverageFactor, CUdeviceptr resultRunningMean, CUdeviceptr resultRunningVariance,
        double epsilon, CUdeviceptr resultSaveMean, CUdeviceptr resultSaveInvVariance);
    [LibraryImport(Lib)]
    public static partial cudnnStatus_t cudnnBatchNormalizationForwardInference(cudnnHandle_t handle, cudnnBatchNormMode_t mode,
        void* alpha, void* beta, cudnnTensorDescriptor_t xDesc, CUdeviceptr x, cudnnTensorDescriptor_t yDesc, CUdeviceptr y,
        cudnnTensorDescriptor_t bnScaleBiasMeanVarDesc, CUdeviceptr bnScale, CUdeviceptr bnBias,
        CUdeviceptr estimatedMean, CUdeviceptr estimatedVariance, double epsilon);
    /// <summary>savedMean and savedInvVariance: the forward pass's outputs, or both null to recompute.</summary>
    [LibraryImport(Lib)]
    public static partial cudnnStatus_t cudnnBatchNormalizationBackward(cudnnHandle_t handle, cudnnBatchNormMode_t mode,
        void* alphaDataDiff, void* betaDataDiff, void* alphaParamDiff, void* betaParamDiff,
        cudnnTensorDescriptor_t xDesc, CUdeviceptr x, cudnnTensorDescriptor_t dyDesc, CUdeviceptr dy,
        cudnnTensorDescriptor_t dxDesc, CUdeviceptr dx,
        cudnnTensorDescriptor_t dBnScaleBiasDesc, CUdeviceptr bnScale, CUdeviceptr dBnScaleResult, CUdeviceptr dBnBiasResult,
        double epsilon, CUdeviceptr savedMean, CUdeviceptr savedInvVariance);

    // ---- pooling ----
    [LibraryImport(Lib)] public static partial cudnnStatus_t cudnnCreatePoolingDescriptor(out cudnnPoolingDescriptor_t poolingDesc);
    [LibraryImport(Lib)] public static partial cudnnStatus_t cudnnDestroyPoolingDescriptor(cudnnPoolingDescriptor_t poolingDesc);
    [LibraryImport(Lib)]
    public static partial cudnnStatus_t cudnnSetPooling2dDescriptor(cudnnPoolingDescriptor_t poolingDesc,
        cudnnPoolingMode_t mode, cudnnNanPropagation_t maxpoolingNanOpt,
        int windowHeight, int windowWidth, int verticalPadding, int horizontalPadding, int verticalStride, int horizontalStride);
    [LibraryImport(Lib)]
    public static partial cudnnStatus_t cudnnPoolingForward(cudnnHandle_t handle, cudnnPoolingDescriptor_t poolingDesc,
        void* alpha, cudnnTensorDescriptor_t xDesc, CUdeviceptr x, void* beta, cudnnTensorDescriptor_t yDesc, CUdeviceptr y);
    [LibraryImport(Lib)]
    public static partial cudnnStatus_t cudnnPoolingBackward(cudnnHandle_t handle, cudnnPoolingDescriptor_t poolingDesc,
        void* alpha, cudnnTensorDescriptor_t yDesc, CUdeviceptr y, cudnnTensorDescriptor_t dyDesc, CUdeviceptr dy,
        cudnnTensorDescriptor_t xDesc, CUdeviceptr x, void* beta, cudnnTensorDescriptor_t dxDesc, CUdeviceptr dx);

    /// <summary>Throws <see cref="CudaException"/> unless status is CUDNN_STATUS_SUCCESS.</summary>
    public static void Check(cudnnStatus_t status, [CallerArgumentExpression(nameof(status))] string call = "")
    {
        if (status == cudnnStatus_t.CUDNN_STATUS_SUCCESS) return;
        string name = status.ToString(), description = "";
        if (NativeLibraries.IsLoaded(NativeLibraries.Cudnn))
        {
            if (cudnnGetErrorString(status) is var n && n != null) name = Marshal.PtrToStringUTF8((nint)n) ?? name;
            // cuDNN 9 keeps a detailed, per-thread message of the last failure: the useful part.
            var buffer = stackalloc byte[1024];
            buffer[0] = 0;
            cudnnGetLastErrorString(buffer, 1024);
            description = Marshal.PtrToStringUTF8((nint)buffer) ?? "";
        }
        throw new CudaException(NativeLibraries.Cudnn, CudaException.FunctionName(call), (int)status, name, description);
    }
}
