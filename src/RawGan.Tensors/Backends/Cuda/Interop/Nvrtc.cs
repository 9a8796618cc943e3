// Raw bindings to NVRTC, the runtime CUDA C++ compiler (libnvrtc.so.13 / .12).
// Written from nvrtc.h of CUDA 12.6.3; every entry point below exists in NVRTC 12.0 through 13.x.
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace RawGan.Backends.Cuda.Interop;

public readonly record struct nvrtcProgram(nint Handle);

/// <summary>nvrtcResult, values from nvrtc.h: 0-12 as in 12.6, 13-17 added by later releases (13.0's nvrtc.h).</summary>
public enum nvrtcResult
{
    NVRTC_SUCCESS = 0,
    NVRTC_ERROR_OUT_OF_MEMORY = 1,
    NVRTC_ERROR_PROGRAM_CREATION_FAILURE = 2,
    NVRTC_ERROR_INVALID_INPUT = 3,
    NVRTC_ERROR_INVALID_PROGRAM = 4,
    NVRTC_ERROR_INVALID_OPTION = 5,
    NVRTC_ERROR_COMPILATION = 6,
    NVRTC_ERROR_BUILTIN_OPERATION_FAILURE = 7,
    NVRTC_ERROR_NO_NAME_EXPRESSIONS_AFTER_COMPILATION = 8,
    NVRTC_ERROR_NO_LOWERED_NAMES_BEFORE_COMPILATION = 9,
    NVRTC_ERROR_NAME_EXPRESSION_NOT_VALID = 10,
    NVRTC_ERROR_INTERNAL_ERROR = 11,
    NVRTC_ERROR_TIME_FILE_WRITE_FAILED = 12,
    NVRTC_ERROR_NO_PCH_CREATE_ATTEMPTED = 13,
    NVRTC_ERROR_PCH_CREATE_HEAP_EXHAUSTED = 14,
    NVRTC_ERROR_PCH_CREATE = 15,
    NVRTC_ERROR_CANCELLED = 16,
    NVRTC_ERROR_TIME_TRACE_FILE_WRITE_FAILED = 17,
}

public static unsafe partial class Nvrtc
{
    private const string Lib = NativeLibraries.Nvrtc;

    /// <summary>Returns a static string owned by NVRTC (the status's name); never free it.</summary>
    [LibraryImport(Lib)] public static partial byte* nvrtcGetErrorString(nvrtcResult result);
    [LibraryImport(Lib)] public static partial nvrtcResult nvrtcVersion(out int major, out int minor);
    [LibraryImport(Lib)] public static partial nvrtcResult nvrtcGetNumSupportedArchs(out int numArchs);
    /// <summary>supportedArchs: room for nvrtcGetNumSupportedArchs ints, e.g. 75, 80, 90.</summary>
    [LibraryImport(Lib)] public static partial nvrtcResult nvrtcGetSupportedArchs(int* supportedArchs);

    /// <summary>headers and includeNames: numHeaders UTF-8 strings each, or null when numHeaders is 0.</summary>
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    public static partial nvrtcResult nvrtcCreateProgram(out nvrtcProgram prog, string src, string? name,
        int numHeaders, byte** headers, byte** includeNames);
    /// <summary>Takes the program by reference and sets it to null.</summary>
    [LibraryImport(Lib)] public static partial nvrtcResult nvrtcDestroyProgram(ref nvrtcProgram prog);
    /// <summary>options: e.g. "--gpu-architecture=sm_90", "-default-device", "--std=c++17".</summary>
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    public static partial nvrtcResult nvrtcCompileProgram(nvrtcProgram prog, int numOptions, string[] options);
    [LibraryImport(Lib)] public static partial nvrtcResult nvrtcGetProgramLogSize(nvrtcProgram prog, out nuint logSizeRet);
    [LibraryImport(Lib)] public static partial nvrtcResult nvrtcGetProgramLog(nvrtcProgram prog, byte* log);
    /// <summary>PTX exists only when compiled for a virtual architecture (compute_XY).</summary>
    [LibraryImport(Lib)] public static partial nvrtcResult nvrtcGetPTXSize(nvrtcProgram prog, out nuint ptxSizeRet);
    [LibraryImport(Lib)] public static partial nvrtcResult nvrtcGetPTX(nvrtcProgram prog, byte* ptx);
    /// <summary>CUBIN exists only when compiled for a real architecture (sm_XY).</summary>
    [LibraryImport(Lib)] public static partial nvrtcResult nvrtcGetCUBINSize(nvrtcProgram prog, out nuint cubinSizeRet);
    [LibraryImport(Lib)] public static partial nvrtcResult nvrtcGetCUBIN(nvrtcProgram prog, byte* cubin);

    /// <summary>Throws <see cref="CudaException"/> unless status is NVRTC_SUCCESS.</summary>
    public static void Check(nvrtcResult status, [CallerArgumentExpression(nameof(status))] string call = "")
    {
        if (status == nvrtcResult.NVRTC_SUCCESS) return;
        var name = status.ToString();
        if (NativeLibraries.IsLoaded(NativeLibraries.Nvrtc) && nvrtcGetErrorString(status) is var s && s != null)
            name = Marshal.PtrToStringUTF8((nint)s) ?? name;
        throw new CudaException(NativeLibraries.Nvrtc, CudaException.FunctionName(call), (int)status, name);
    }

    /// <summary>The compiler's log for a program (warnings, or the errors of a failed compile).</summary>
    public static string ProgramLog(nvrtcProgram prog)
    {
        Check(nvrtcGetProgramLogSize(prog, out var size));
        var log = new byte[size];
        fixed (byte* p = log) Check(nvrtcGetProgramLog(prog, p));
        return System.Text.Encoding.UTF8.GetString(log).TrimEnd('\0').Trim();
    }
}
