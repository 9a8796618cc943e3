namespace RawGan;

public enum DeviceType
{
    Cpu,
    Cuda,
}

/// <summary>Where a tensor's storage lives: "cpu" or "cuda" (device 0; one GPU per process).</summary>
public readonly record struct Device(DeviceType Type)
{
    public static readonly Device Cpu = new(DeviceType.Cpu);
    public static readonly Device Cuda = new(DeviceType.Cuda);

    public static Device Parse(string name) => name.ToLowerInvariant() switch
    {
        "cpu" => Cpu,
        "cuda" or "gpu" or "cuda:0" => Cuda,
        _ => throw new ArgumentException($"unknown device '{name}': expected cpu or cuda", nameof(name)),
    };

    /// <summary>Whether this device's backend stores <paramref name="dtype"/>: the CPU stores every
    /// dtype, the CUDA backend float32 only.</summary>
    public bool Stores(DType dtype) => Type == DeviceType.Cpu || dtype == DType.Float32;

    public override string ToString() => Type == DeviceType.Cpu ? "cpu" : "cuda";
}
