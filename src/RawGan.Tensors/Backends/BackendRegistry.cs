namespace RawGan.Backends;

/// <summary>
/// One backend instance per device type, created on first use. The CPU backend always
/// exists; the CUDA backend registers its factory (see Backends/Cuda) and reports why it is
/// unavailable on a machine without a GPU or CUDA libraries.
/// </summary>
public static class BackendRegistry
{
    private static readonly Lock Gate = new();
    private static readonly Dictionary<DeviceType, IBackend> Instances = [];
    private static readonly Dictionary<DeviceType, Func<IBackend>> Factories = new()
    {
        [DeviceType.Cpu] = () => Cpu.CpuBackend.Instance,
    };

    public static void RegisterFactory(DeviceType type, Func<IBackend> factory)
    {
        lock (Gate) Factories[type] = factory;
    }

    public static IBackend Get(Device device)
    {
        lock (Gate)
        {
            if (Instances.TryGetValue(device.Type, out var backend)) return backend;
            if (!Factories.TryGetValue(device.Type, out var factory))
                throw new NotSupportedException($"no backend is built for device '{device}'");
            backend = factory();
            Instances[device.Type] = backend;
            return backend;
        }
    }
}
