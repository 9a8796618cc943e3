namespace RawGan.Backends.Cuda;

/// <summary>
/// The CUDA backend cannot start on this machine: no GPU, no driver, or a CUDA library missing.
/// The message says what is missing and what to install; a machine without a GPU is a normal
/// case, so callers (tests, `rawgan doctor`) report it rather than crash. Summary is its first
/// problem alone ("no GPU (no CUDA driver)"), for a one-line note where the CPU takes over.
/// </summary>
public sealed class CudaUnavailableException(string message, Exception? inner = null, string? summary = null) : Exception(message, inner)
{
    public string Summary { get; } = summary ?? message;
}
