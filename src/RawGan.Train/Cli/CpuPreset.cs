using System.CommandLine;
using RawGan.Training;

namespace RawGan.Cli;

/// <summary>
/// The no-GPU default of `rawgan train RECIPE` with no --data: narrower nets on 32x32 synthetic faces
/// and a step count sized by measurement, so that each recipe's first run finishes within 10 minutes on
/// a 2-core machine and shows faces (docs/cpu-preset.md has the timings and the grids). At the full
/// sizes a recipe's first CPU run would take hours. The preset is on only on the CPU, on the built-in
/// faces and without --size; any flag the user gives wins over it, and the line it prints names what
/// it chose.
/// </summary>
public sealed class CpuPreset(ParseResult parsed, Device device, bool synthetic, Option size)
{
    /// <summary>The image size of every recipe's preset.</summary>
    public const int Size = 32;

    private readonly List<string> _chosen = [];

    public bool On { get; } = synthetic && device == Device.Cpu && !Given(parsed, size);

    /// <summary>The option's value; the preset's when the preset is on and the user gave none.</summary>
    public int Value(Option<int> option, int preset) =>
        On && !Given(parsed, option) ? Choose(option, preset) : parsed.GetValue(option);

    /// <summary>The same for an option without a default of its own: otherwise is the recipe's default.</summary>
    public int Value(Option<int?> option, int preset, int otherwise) =>
        parsed.GetValue(option) ?? (On ? Choose(option, preset) : otherwise);

    /// <summary>The batch and the number of steps, where the user gave neither --batch nor --steps/--epochs.</summary>
    public TrainOptions Length(TrainOptions common, int batch, long steps)
    {
        if (!On) return common;
        if (parsed.GetValue(TrainCommand.Batch) is null) common = common with { Batch = Choose(TrainCommand.Batch, batch) };
        if (common.Steps is null && common.Epochs is null) common = common with { Steps = Choose(TrainCommand.Steps, steps) };
        return common;
    }

    /// <summary>Prints what the preset chose, and how to override it.</summary>
    public void Announce(TextWriter output, string recipe)
    {
        if (On)
            output.WriteLine($"no GPU and no --data: the CPU preset of {recipe}: {string.Join(", ", _chosen)} " +
                             "(each flag overrides its value; --size turns the preset off)");
    }

    private static bool Given(ParseResult parsed, Option option) => parsed.GetResult(option) is { Implicit: false };

    private T Choose<T>(Option option, T value)
    {
        _chosen.Add($"{option.Name} {value}");
        return value;
    }
}
