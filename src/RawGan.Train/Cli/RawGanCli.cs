using System.CommandLine;
using System.Text.Json;
using RawGan.Checkpoints;
using RawGan.Data;

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
        root.Subcommands.Add(TrainCommand.Create(output));
        root.Subcommands.Add(SampleCommand.Create(output));
        root.Subcommands.Add(InvertCommand.Create(output));
        root.Subcommands.Add(InterpolateCommand.Create(output, error));
        root.Subcommands.Add(EvalCommand.Create(output, error));
        root.Subcommands.Add(DoctorCommand.Create(output));
        root.Subcommands.Add(BenchCommand.Create(output, error));
        root.Subcommands.Add(PlotCommand.Create(output));

        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var e in parsed.Errors) error.WriteLine($"rawgan: {e.Message}");
            error.WriteLine("Run 'rawgan --help' for usage.");
            return UsageError;
        }
        try
        {
            // Ctrl+C is handled by the trainer (it checkpoints, then exits 0), not by forced termination.
            return parsed.Invoke(new InvocationConfiguration
                { Output = output, Error = error, ProcessTerminationTimeout = null, EnableDefaultExceptionHandler = false });
        }
        catch (Exception e) when (IsUserError(e))
        {
            error.WriteLine($"rawgan: {Message(e)}");
            return 1;
        }
        catch (Exception e)
        {
            error.WriteLine($"rawgan: unexpected error; please report it with this text:\n{e}");
            return 1;
        }
    }

    /// <summary>The message alone: .NET appends " (Parameter 'name')" and "Actual value was ..." to an
    /// argument exception's message, which names our code's parameter, not the user's option.</summary>
    private static string Message(Exception e) => e is ArgumentException { ParamName: { } name } argument
        ? argument.Message.Split($" (Parameter '{name}')")[0]
        : e.Message;

    /// <summary>The errors a user can fix (bad data, checkpoint, option value, device, a file that cannot
    /// be written, a GPU out of memory): their message says what is wrong, a stack trace would not help.</summary>
    private static bool IsUserError(Exception e) => e is DataException or CheckpointException or ArgumentException
        or DeviceUnavailableException or Serialization.SafeTensorsFormatException or NotSupportedException
        or IOException or UnauthorizedAccessException or JsonException or OutOfMemoryException;
}
