using RawGan.Backends;
using RawGan.Backends.Cuda;

namespace RawGan.Cli;

public sealed class DeviceUnavailableException(string message, Exception inner) : Exception(message, inner);

/// <summary>--device auto|cpu|cuda. "auto" takes the GPU when the CUDA backend starts, else the CPU;
/// an explicit "cuda" that cannot start is an error that says what is missing.</summary>
public static class DeviceChoice
{
    public static Device Resolve(string name, TextWriter output)
    {
        if (name.Equals("auto", StringComparison.OrdinalIgnoreCase))
        {
            if (CudaProblem() is not { } problem) return Device.Cuda;
            // One line: the first problem; --device cuda and `rawgan doctor` give the whole account.
            output.WriteLine($"using the CPU: {(problem as CudaUnavailableException)?.Summary ?? problem.Message}; `rawgan doctor` shows the details");
            return Device.Cpu;
        }
        var device = Device.Parse(name);
        if (device == Device.Cuda && CudaProblem() is { } reason)
            throw new DeviceUnavailableException($"--device {name}: {reason.Message}", reason);
        return device;
    }

    /// <summary>Starts the CUDA backend: null when it runs, else why it cannot.</summary>
    private static Exception? CudaProblem()
    {
        try
        {
            BackendRegistry.Get(Device.Cuda);
            return null;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return e;
        }
    }
}
