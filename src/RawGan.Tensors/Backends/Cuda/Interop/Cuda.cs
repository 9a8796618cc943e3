// Raw bindings to the CUDA driver API (libcuda.so.1 / nvcuda.dll).
// Written from cuda.h of CUDA 12.6.3 (CUDA_VERSION 12060). Every entry point below is exported
// by every 12.x and 13.x driver: we bind the versioned names that cuda.h's #defines select
// (cuMemAlloc -> cuMemAlloc_v2, cuStreamBeginCapture -> cuStreamBeginCapture_v2,
// cuGraphInstantiate -> cuGraphInstantiateWithFlags) and the legacy-default-stream variants
// (not the _ptds/_ptsz ones). NativeLibraries checks that each one exists when the driver loads.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace RawGan.Backends.Cuda.Interop;

/// <summary>CUdevice: a device ordinal as returned by cuDeviceGet.</summary>
public readonly record struct CUdevice(int Value);

/// <summary>
/// CUdeviceptr: a 64-bit device address. cuBLAS and cuDNN take device buffers as void*; passing
/// this 8-byte integer struct there is the same register on every 64-bit ABI we run on.
/// </summary>
public readonly record struct CUdeviceptr(ulong Value)
{
    public static readonly CUdeviceptr Null = default;
    public CUdeviceptr Offset(long bytes) => new(Value + (ulong)bytes);
}

public readonly record struct CUcontext(nint Handle);
public readonly record struct CUmodule(nint Handle);
public readonly record struct CUfunction(nint Handle);
/// <summary>CUstream; the default value is the legacy default stream (NULL).</summary>
public readonly record struct CUstream(nint Handle);
public readonly record struct CUevent(nint Handle);
public readonly record struct CUgraph(nint Handle);
public readonly record struct CUgraphExec(nint Handle);

/// <summary>CUresult, values from cuda.h.</summary>
public enum CUresult
{
    CUDA_SUCCESS = 0,
    CUDA_ERROR_INVALID_VALUE = 1,
    CUDA_ERROR_OUT_OF_MEMORY = 2,
    CUDA_ERROR_NOT_INITIALIZED = 3,
    CUDA_ERROR_DEINITIALIZED = 4,
    CUDA_ERROR_PROFILER_DISABLED = 5,
    CUDA_ERROR_PROFILER_NOT_INITIALIZED = 6,
    CUDA_ERROR_PROFILER_ALREADY_STARTED = 7,
    CUDA_ERROR_PROFILER_ALREADY_STOPPED = 8,
    CUDA_ERROR_STUB_LIBRARY = 34,
    CUDA_ERROR_DEVICE_UNAVAILABLE = 46,
    CUDA_ERROR_NO_DEVICE = 100,
    CUDA_ERROR_INVALID_DEVICE = 101,
    CUDA_ERROR_DEVICE_NOT_LICENSED = 102,
    CUDA_ERROR_INVALID_IMAGE = 200,
    CUDA_ERROR_INVALID_CONTEXT = 201,
    CUDA_ERROR_CONTEXT_ALREADY_CURRENT = 202,
    CUDA_ERROR_MAP_FAILED = 205,
    CUDA_ERROR_UNMAP_FAILED = 206,
    CUDA_ERROR_ARRAY_IS_MAPPED = 207,
    CUDA_ERROR_ALREADY_MAPPED = 208,
    CUDA_ERROR_NO_BINARY_FOR_GPU = 209,
    CUDA_ERROR_ALREADY_ACQUIRED = 210,
    CUDA_ERROR_NOT_MAPPED = 211,
    CUDA_ERROR_NOT_MAPPED_AS_ARRAY = 212,
    CUDA_ERROR_NOT_MAPPED_AS_POINTER = 213,
    CUDA_ERROR_ECC_UNCORRECTABLE = 214,
    CUDA_ERROR_UNSUPPORTED_LIMIT = 215,
    CUDA_ERROR_CONTEXT_ALREADY_IN_USE = 216,
    CUDA_ERROR_PEER_ACCESS_UNSUPPORTED = 217,
    CUDA_ERROR_INVALID_PTX = 218,
    CUDA_ERROR_INVALID_GRAPHICS_CONTEXT = 219,
    CUDA_ERROR_NVLINK_UNCORRECTABLE = 220,
    CUDA_ERROR_JIT_COMPILER_NOT_FOUND = 221,
    CUDA_ERROR_UNSUPPORTED_PTX_VERSION = 222,
    CUDA_ERROR_JIT_COMPILATION_DISABLED = 223,
    CUDA_ERROR_UNSUPPORTED_EXEC_AFFINITY = 224,
    CUDA_ERROR_UNSUPPORTED_DEVSIDE_SYNC = 225,
    CUDA_ERROR_INVALID_SOURCE = 300,
    CUDA_ERROR_FILE_NOT_FOUND = 301,
    CUDA_ERROR_SHARED_OBJECT_SYMBOL_NOT_FOUND = 302,
    CUDA_ERROR_SHARED_OBJECT_INIT_FAILED = 303,
    CUDA_ERROR_OPERATING_SYSTEM = 304,
    CUDA_ERROR_INVALID_HANDLE = 400,
    CUDA_ERROR_ILLEGAL_STATE = 401,
    CUDA_ERROR_LOSSY_QUERY = 402,
    CUDA_ERROR_NOT_FOUND = 500,
    CUDA_ERROR_NOT_READY = 600,
    CUDA_ERROR_ILLEGAL_ADDRESS = 700,
    CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES = 701,
    CUDA_ERROR_LAUNCH_TIMEOUT = 702,
    CUDA_ERROR_LAUNCH_INCOMPATIBLE_TEXTURING = 703,
    CUDA_ERROR_PEER_ACCESS_ALREADY_ENABLED = 704,
    CUDA_ERROR_PEER_ACCESS_NOT_ENABLED = 705,
    CUDA_ERROR_PRIMARY_CONTEXT_ACTIVE = 708,
    CUDA_ERROR_CONTEXT_IS_DESTROYED = 709,
    CUDA_ERROR_ASSERT = 710,
    CUDA_ERROR_TOO_MANY_PEERS = 711,
    CUDA_ERROR_HOST_MEMORY_ALREADY_REGISTERED = 712,
    CUDA_ERROR_HOST_MEMORY_NOT_REGISTERED = 713,
    CUDA_ERROR_HARDWARE_STACK_ERROR = 714,
    CUDA_ERROR_ILLEGAL_INSTRUCTION = 715,
    CUDA_ERROR_MISALIGNED_ADDRESS = 716,
    CUDA_ERROR_INVALID_ADDRESS_SPACE = 717,
    CUDA_ERROR_INVALID_PC = 718,
    CUDA_ERROR_LAUNCH_FAILED = 719,
    CUDA_ERROR_COOPERATIVE_LAUNCH_TOO_LARGE = 720,
    CUDA_ERROR_NOT_PERMITTED = 800,
    CUDA_ERROR_NOT_SUPPORTED = 801,
    CUDA_ERROR_SYSTEM_NOT_READY = 802,
    CUDA_ERROR_SYSTEM_DRIVER_MISMATCH = 803,
    CUDA_ERROR_COMPAT_NOT_SUPPORTED_ON_DEVICE = 804,
    CUDA_ERROR_MPS_CONNECTION_FAILED = 805,
    CUDA_ERROR_MPS_RPC_FAILURE = 806,
    CUDA_ERROR_MPS_SERVER_NOT_READY = 807,
    CUDA_ERROR_MPS_MAX_CLIENTS_REACHED = 808,
    CUDA_ERROR_MPS_MAX_CONNECTIONS_REACHED = 809,
    CUDA_ERROR_MPS_CLIENT_TERMINATED = 810,
    CUDA_ERROR_CDP_NOT_SUPPORTED = 811,
    CUDA_ERROR_CDP_VERSION_MISMATCH = 812,
    CUDA_ERROR_STREAM_CAPTURE_UNSUPPORTED = 900,
    CUDA_ERROR_STREAM_CAPTURE_INVALIDATED = 901,
    CUDA_ERROR_STREAM_CAPTURE_MERGE = 902,
    CUDA_ERROR_STREAM_CAPTURE_UNMATCHED = 903,
    CUDA_ERROR_STREAM_CAPTURE_UNJOINED = 904,
    CUDA_ERROR_STREAM_CAPTURE_ISOLATION = 905,
    CUDA_ERROR_STREAM_CAPTURE_IMPLICIT = 906,
    CUDA_ERROR_CAPTURED_EVENT = 907,
    CUDA_ERROR_STREAM_CAPTURE_WRONG_THREAD = 908,
    CUDA_ERROR_TIMEOUT = 909,
    CUDA_ERROR_GRAPH_EXEC_UPDATE_FAILURE = 910,
    CUDA_ERROR_EXTERNAL_DEVICE = 911,
    CUDA_ERROR_INVALID_CLUSTER_SIZE = 912,
    CUDA_ERROR_FUNCTION_NOT_LOADED = 913,
    CUDA_ERROR_INVALID_RESOURCE_TYPE = 914,
    CUDA_ERROR_INVALID_RESOURCE_CONFIGURATION = 915,
    CUDA_ERROR_UNKNOWN = 999
}

/// <summary>The CUdevice_attribute values we query (cuda.h numbering; the enum has many more).</summary>
public enum CUdevice_attribute
{
    CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_BLOCK = 1,
    CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_X = 2,
    CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_Y = 3,
    CU_DEVICE_ATTRIBUTE_MAX_BLOCK_DIM_Z = 4,
    CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_X = 5,
    CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_Y = 6,
    CU_DEVICE_ATTRIBUTE_MAX_GRID_DIM_Z = 7,
    CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK = 8,
    CU_DEVICE_ATTRIBUTE_WARP_SIZE = 10,
    CU_DEVICE_ATTRIBUTE_MAX_REGISTERS_PER_BLOCK = 12,
    CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT = 16,
    CU_DEVICE_ATTRIBUTE_INTEGRATED = 18,
    CU_DEVICE_ATTRIBUTE_ECC_ENABLED = 32,
    CU_DEVICE_ATTRIBUTE_PCI_BUS_ID = 33,
    CU_DEVICE_ATTRIBUTE_PCI_DEVICE_ID = 34,
    CU_DEVICE_ATTRIBUTE_GLOBAL_MEMORY_BUS_WIDTH = 37,
    CU_DEVICE_ATTRIBUTE_L2_CACHE_SIZE = 38,
    CU_DEVICE_ATTRIBUTE_MAX_THREADS_PER_MULTIPROCESSOR = 39,
    CU_DEVICE_ATTRIBUTE_UNIFIED_ADDRESSING = 41,
    CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75,
    CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76,
    CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_MULTIPROCESSOR = 81,
    CU_DEVICE_ATTRIBUTE_MAX_REGISTERS_PER_MULTIPROCESSOR = 82,
    CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN = 97,
    CU_DEVICE_ATTRIBUTE_MAX_BLOCKS_PER_MULTIPROCESSOR = 106,
    CU_DEVICE_ATTRIBUTE_MAX_PERSISTING_L2_CACHE_SIZE = 108,
    CU_DEVICE_ATTRIBUTE_MEMORY_POOLS_SUPPORTED = 115,
}

/// <summary>CUfunction_attribute, values from cuda.h.</summary>
public enum CUfunction_attribute
{
    CU_FUNC_ATTRIBUTE_MAX_THREADS_PER_BLOCK = 0,
    CU_FUNC_ATTRIBUTE_SHARED_SIZE_BYTES = 1,
    CU_FUNC_ATTRIBUTE_CONST_SIZE_BYTES = 2,
    CU_FUNC_ATTRIBUTE_LOCAL_SIZE_BYTES = 3,
    CU_FUNC_ATTRIBUTE_NUM_REGS = 4,
    CU_FUNC_ATTRIBUTE_PTX_VERSION = 5,
    CU_FUNC_ATTRIBUTE_BINARY_VERSION = 6,
    CU_FUNC_ATTRIBUTE_CACHE_MODE_CA = 7,
    CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES = 8,
    CU_FUNC_ATTRIBUTE_PREFERRED_SHARED_MEMORY_CARVEOUT = 9,
}

/// <summary>CUstream_flags for cuStreamCreate.</summary>
[Flags]
public enum CUstream_flags : uint
{
    CU_STREAM_DEFAULT = 0x0,
    CU_STREAM_NON_BLOCKING = 0x1,
}

/// <summary>CUevent_flags for cuEventCreate.</summary>
[Flags]
public enum CUevent_flags : uint
{
    CU_EVENT_DEFAULT = 0x0,
    CU_EVENT_BLOCKING_SYNC = 0x1,
    CU_EVENT_DISABLE_TIMING = 0x2,
    CU_EVENT_INTERPROCESS = 0x4,
}

/// <summary>CUstreamCaptureMode for cuStreamBeginCapture_v2.</summary>
public enum CUstreamCaptureMode
{
    CU_STREAM_CAPTURE_MODE_GLOBAL = 0,
    CU_STREAM_CAPTURE_MODE_THREAD_LOCAL = 1,
    CU_STREAM_CAPTURE_MODE_RELAXED = 2,
}

/// <summary>CUgraphInstantiate_flags for cuGraphInstantiateWithFlags (an unsigned long long there).</summary>
[Flags]
public enum CUgraphInstantiate_flags : ulong
{
    None = 0,
    CUDA_GRAPH_INSTANTIATE_FLAG_AUTO_FREE_ON_LAUNCH = 1,
    CUDA_GRAPH_INSTANTIATE_FLAG_UPLOAD = 2,
    CUDA_GRAPH_INSTANTIATE_FLAG_DEVICE_LAUNCH = 4,
    CUDA_GRAPH_INSTANTIATE_FLAG_USE_NODE_PRIORITY = 8,
}

public static unsafe partial class Cuda
{
    private const string Lib = NativeLibraries.Cuda;

    // ---- initialization, version, errors ----
    [LibraryImport(Lib)] public static partial CUresult cuInit(uint Flags);
    [LibraryImport(Lib)] public static partial CUresult cuDriverGetVersion(out int driverVersion);
    /// <summary>pStr receives a static string owned by the driver; never free it.</summary>
    [LibraryImport(Lib)] public static partial CUresult cuGetErrorString(CUresult error, out byte* pStr);
    [LibraryImport(Lib)] public static partial CUresult cuGetErrorName(CUresult error, out byte* pStr);

    // ---- devices ----
    [LibraryImport(Lib)] public static partial CUresult cuDeviceGetCount(out int count);
    [LibraryImport(Lib)] public static partial CUresult cuDeviceGet(out CUdevice device, int ordinal);
    [LibraryImport(Lib)] public static partial CUresult cuDeviceGetName(byte* name, int len, CUdevice dev);
    [LibraryImport(Lib)] public static partial CUresult cuDeviceGetAttribute(out int pi, CUdevice_attribute attrib, CUdevice dev);
    [LibraryImport(Lib)] public static partial CUresult cuDeviceTotalMem_v2(out nuint bytes, CUdevice dev);

    // ---- contexts: we use the device's primary context, the one the runtime API and cuBLAS share ----
    [LibraryImport(Lib)] public static partial CUresult cuDevicePrimaryCtxRetain(out CUcontext pctx, CUdevice dev);
    [LibraryImport(Lib)] public static partial CUresult cuDevicePrimaryCtxRelease_v2(CUdevice dev);
    [LibraryImport(Lib)] public static partial CUresult cuCtxSetCurrent(CUcontext ctx);
    [LibraryImport(Lib)] public static partial CUresult cuCtxGetCurrent(out CUcontext pctx);
    [LibraryImport(Lib)] public static partial CUresult cuCtxSynchronize();

    // ---- memory ----
    [LibraryImport(Lib)] public static partial CUresult cuMemGetInfo_v2(out nuint free, out nuint total);
    [LibraryImport(Lib)] public static partial CUresult cuMemAlloc_v2(out CUdeviceptr dptr, nuint bytesize);
    [LibraryImport(Lib)] public static partial CUresult cuMemFree_v2(CUdeviceptr dptr);
    /// <summary>Page-locked host memory: what makes the async copies below truly asynchronous.</summary>
    [LibraryImport(Lib)] public static partial CUresult cuMemAllocHost_v2(out void* pp, nuint bytesize);
    [LibraryImport(Lib)] public static partial CUresult cuMemFreeHost(void* p);
    [LibraryImport(Lib)] public static partial CUresult cuMemcpyHtoD_v2(CUdeviceptr dstDevice, void* srcHost, nuint ByteCount);
    [LibraryImport(Lib)] public static partial CUresult cuMemcpyDtoH_v2(void* dstHost, CUdeviceptr srcDevice, nuint ByteCount);
    [LibraryImport(Lib)] public static partial CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr dstDevice, void* srcHost, nuint ByteCount, CUstream hStream);
    [LibraryImport(Lib)] public static partial CUresult cuMemcpyDtoHAsync_v2(void* dstHost, CUdeviceptr srcDevice, nuint ByteCount, CUstream hStream);
    [LibraryImport(Lib)] public static partial CUresult cuMemcpyDtoDAsync_v2(CUdeviceptr dstDevice, CUdeviceptr srcDevice, nuint ByteCount, CUstream hStream);
    /// <summary>Sets N 32-bit words (not bytes) to ui.</summary>
    [LibraryImport(Lib)] public static partial CUresult cuMemsetD32Async(CUdeviceptr dstDevice, uint ui, nuint N, CUstream hStream);
    [LibraryImport(Lib)] public static partial CUresult cuMemsetD8Async(CUdeviceptr dstDevice, byte uc, nuint N, CUstream hStream);

    // ---- streams and events ----
    [LibraryImport(Lib)] public static partial CUresult cuStreamCreate(out CUstream phStream, CUstream_flags Flags);
    [LibraryImport(Lib)] public static partial CUresult cuStreamDestroy_v2(CUstream hStream);
    [LibraryImport(Lib)] public static partial CUresult cuStreamSynchronize(CUstream hStream);
    [LibraryImport(Lib)] public static partial CUresult cuStreamWaitEvent(CUstream hStream, CUevent hEvent, uint Flags);
    [LibraryImport(Lib)] public static partial CUresult cuEventCreate(out CUevent phEvent, CUevent_flags Flags);
    [LibraryImport(Lib)] public static partial CUresult cuEventDestroy_v2(CUevent hEvent);
    [LibraryImport(Lib)] public static partial CUresult cuEventRecord(CUevent hEvent, CUstream hStream);
    [LibraryImport(Lib)] public static partial CUresult cuEventSynchronize(CUevent hEvent);
    /// <summary>
    /// Milliseconds between two recorded events. CUDA 12.8 added cuEventElapsedTime_v2 and CUDA 13's
    /// cuda.h maps the plain name to it, but every 12.x and 13.x driver still exports the original
    /// symbol (programs built against 12.0 call it), while _v2 is absent from drivers before 12.8.
    /// </summary>
    [LibraryImport(Lib)] public static partial CUresult cuEventElapsedTime(out float pMilliseconds, CUevent hStart, CUevent hEnd);

    // ---- modules and launches ----
    /// <summary>image: a NUL-terminated PTX string or a CUBIN/fatbin image, read during the call.</summary>
    [LibraryImport(Lib)] public static partial CUresult cuModuleLoadData(out CUmodule module, void* image);
    [LibraryImport(Lib)] public static partial CUresult cuModuleUnload(CUmodule hmod);
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)] public static partial CUresult cuModuleGetFunction(out CUfunction hfunc, CUmodule hmod, string name);
    [LibraryImport(Lib)] public static partial CUresult cuFuncGetAttribute(out int pi, CUfunction_attribute attrib, CUfunction hfunc);
    [LibraryImport(Lib)] public static partial CUresult cuFuncSetAttribute(CUfunction hfunc, CUfunction_attribute attrib, int value);
    /// <summary>
    /// kernelParams: one pointer per kernel argument, each pointing at that argument's value
    /// (for a float* argument, a pointer to the 8-byte CUdeviceptr). extra: null.
    /// </summary>
    [LibraryImport(Lib)]
    public static partial CUresult cuLaunchKernel(CUfunction f,
        uint gridDimX, uint gridDimY, uint gridDimZ,
        uint blockDimX, uint blockDimY, uint blockDimZ,
        uint sharedMemBytes, CUstream hStream, void** kernelParams, void** extra);

    // ---- graphs (stream capture) ----
    [LibraryImport(Lib)] public static partial CUresult cuStreamBeginCapture_v2(CUstream hStream, CUstreamCaptureMode mode);
    [LibraryImport(Lib)] public static partial CUresult cuStreamEndCapture(CUstream hStream, out CUgraph phGraph);
    [LibraryImport(Lib)] public static partial CUresult cuGraphInstantiateWithFlags(out CUgraphExec phGraphExec, CUgraph hGraph, CUgraphInstantiate_flags flags);
    [LibraryImport(Lib)] public static partial CUresult cuGraphLaunch(CUgraphExec hGraphExec, CUstream hStream);
    [LibraryImport(Lib)] public static partial CUresult cuGraphExecDestroy(CUgraphExec hGraphExec);
    [LibraryImport(Lib)] public static partial CUresult cuGraphDestroy(CUgraph hGraph);

    /// <summary>Throws <see cref="CudaException"/> unless status is CUDA_SUCCESS.</summary>
    public static void Check(CUresult status, [CallerArgumentExpression(nameof(status))] string call = "")
    {
        if (status == CUresult.CUDA_SUCCESS) return;
        string name = status.ToString(), description = "";
        // The status came from the driver, so it is loaded, except when a caller checks a
        // status it made up (tests); then the enum's own name has to do.
        if (NativeLibraries.IsLoaded(NativeLibraries.Cuda))
        {
            if (cuGetErrorName(status, out var n) == CUresult.CUDA_SUCCESS && n != null) name = Marshal.PtrToStringUTF8((nint)n) ?? name;
            if (cuGetErrorString(status, out var s) == CUresult.CUDA_SUCCESS && s != null) description = Marshal.PtrToStringUTF8((nint)s) ?? "";
        }
        throw new CudaException(NativeLibraries.Cuda, CudaException.FunctionName(call), (int)status, name, description);
    }

    /// <summary>A device's name (cuDeviceGetName), decoded.</summary>
    public static string DeviceName(CUdevice device)
    {
        var buffer = stackalloc byte[256];
        Check(cuDeviceGetName(buffer, 256, device));
        return Marshal.PtrToStringUTF8((nint)buffer) ?? "";
    }
}
