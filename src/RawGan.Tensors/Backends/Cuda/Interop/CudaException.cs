namespace RawGan.Backends.Cuda.Interop;

/// <summary>
/// A failed call into the CUDA driver, NVRTC, cuBLAS or cuDNN. The message uses the library's
/// own words: <c>cuMemAlloc_v2 failed: CUDA_ERROR_OUT_OF_MEMORY (out of memory)</c>.
/// </summary>
public sealed class CudaException : Exception
{
    public CudaException(string library, string call, int status, string statusName, string? description = null)
        : base(Format(call, statusName, description))
    {
        Library = library;
        Call = call;
        Status = status;
        StatusName = statusName;
    }

    /// <summary>The logical library: "cuda", "nvrtc", "cublas" or "cudnn".</summary>
    public string Library { get; }

    /// <summary>The native function that failed, e.g. "cuMemAlloc_v2".</summary>
    public string Call { get; }

    /// <summary>The raw status code (CUresult, nvrtcResult, cublasStatus_t or cudnnStatus_t).</summary>
    public int Status { get; }

    /// <summary>The status's name, e.g. "CUDA_ERROR_OUT_OF_MEMORY".</summary>
    public string StatusName { get; }

    private static string Format(string call, string statusName, string? description) =>
        string.IsNullOrWhiteSpace(description) || description == statusName
            ? $"{call} failed: {statusName}"
            : $"{call} failed: {statusName} ({description})";

    /// <summary>
    /// The native function named by a checked expression: "Cuda.cuMemAlloc_v2(out p, n)" gives
    /// "cuMemAlloc_v2"; an expression with no call (a status variable) is kept as written.
    /// </summary>
    public static string FunctionName(string expression)
    {
        var open = expression.IndexOf('(');
        if (open < 0) return expression.Trim();
        var callee = expression[..open].Trim();
        return callee[(callee.LastIndexOf('.') + 1)..];
    }
}
