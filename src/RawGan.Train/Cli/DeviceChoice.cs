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
            if (TryCuda(out _, out var why)) return Device.Cuda;
            output.WriteLine($"using the CPU: {why}; `rawgan doctor` shows the details");
            return Device.Cpu;
        }
        var device = Device.Parse(name);
        if (device == Device.Cuda && !TryCuda(out var reason, out _))
            throw new DeviceUnavailableException($"--device cuda: {reason}", new InvalidOperationException(reason));
        return device;
    }

    /// <summary>Starts the CUDA backend; if it cannot, full is the whole account (for --device cuda)
    /// and brief its first problem (for auto's note that the CPU takes over).</summary>
    private static bool TryCuda(out string full, out string brief)
    {
        try
        {
            BackendRegistry.Get(Device.Cuda);
            full = brief = "";
            return true;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            full = e.Message;
            brief = e is CudaUnavailableException unavailable ? unavailable.Summary : e.Message;
            return false;
        }
    }
}
