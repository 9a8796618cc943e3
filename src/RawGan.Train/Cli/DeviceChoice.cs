using RawGan.Backends;

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
            if (TryCuda(out var why)) return Device.Cuda;
            output.WriteLine($"using the CPU ({why})");
            return Device.Cpu;
        }
        var device = Device.Parse(name);
        if (device == Device.Cuda && !TryCuda(out var reason))
            throw new DeviceUnavailableException($"--device cuda: {reason}", new InvalidOperationException(reason));
        return device;
    }

    private static bool TryCuda(out string reason)
    {
        try
        {
            BackendRegistry.Get(Device.Cuda);
            reason = "";
            return true;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            reason = e.Message;
            return false;
        }
    }
}
