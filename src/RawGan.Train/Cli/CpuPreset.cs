namespace RawGan.Cli;

/// <summary>
/// The no-GPU default of `rawgan train dcgan` with no --data: a narrower DCGAN on 32x32 synthetic
/// faces, sized by measurement so the README's first command finishes within 10 minutes on a
/// 2-core machine (docs/cpu-preset.md has the timings).
/// </summary>
public static class CpuPreset
{
    public const int Size = 32;
    public const int Nz = 64;
    public const int Width = 32;
    public const int Batch = 64;
    public const long Steps = 2000;
}
