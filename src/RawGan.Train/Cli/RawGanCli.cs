using System.CommandLine;

namespace RawGan.Cli;

/// <summary>The `rawgan` command line: one subcommand per file in this folder.</summary>
public static class RawGanCli
{
    /// <summary>Exit code for a malformed command line (unknown command or option, bad value).</summary>
    public const int UsageError = 2;

    public static int Run(string[] args, TextWriter? output = null, TextWriter? error = null)
    {
        output ??= Console.Out;
        error ??= Console.Error;
        var root = new RootCommand("RawGan: train face GANs (DCGAN, BEGAN, ...) on CPU or CUDA, with no Python stack.");
        root.Subcommands.Add(TrainCommand.Create(output, error));
        root.Subcommands.Add(SampleCommand.Create(output, error));
        root.Subcommands.Add(InvertCommand.Create(output, error));
        root.Subcommands.Add(InterpolateCommand.Create(output, error));
        root.Subcommands.Add(EvalCommand.Create(output, error));
        root.Subcommands.Add(DoctorCommand.Create(output));
        root.Subcommands.Add(BenchCommand.Create(output, error));
        root.Subcommands.Add(PlotCommand.Create(output, error));

        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var e in parsed.Errors) error.WriteLine($"rawgan: {e.Message}");
            error.WriteLine("Run 'rawgan --help' for usage.");
            return UsageError;
        }
        // Ctrl+C is handled by the trainer (it checkpoints, then exits 0), not by forced termination.
        return parsed.Invoke(new InvocationConfiguration { Output = output, Error = error, ProcessTerminationTimeout = null });
    }
}
