using System.CommandLine;
using System.CommandLine.Parsing;
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
        var problems = parsed.Errors.Count > 0 ? parsed.Errors.Select(Describe).ToList() : NotFinite(parsed);
        if (problems.Count > 0)
        {
            foreach (var problem in problems) error.WriteLine($"rawgan: {problem}");
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

    /// <summary>A value that does not convert: System.CommandLine names the .NET type
    /// ("System.Nullable`1[System.Int64]"); the user needs the kind of value the option takes.</summary>
    private static string Describe(ParseError e)
    {
        if (e.SymbolResult is not OptionResult given || !e.Message.StartsWith("Cannot parse argument"))
            return e.Message;
        var type = Nullable.GetUnderlyingType(given.Option.ValueType) ?? given.Option.ValueType;
        string expected = type switch
        {
            _ when type == typeof(int) || type == typeof(long) => "a whole number",
            _ when type == typeof(ulong) => "a whole number, 0 or more",
            _ when type == typeof(double) => "a number, such as 0.0002 or 2e-4",
            _ when type.IsEnum => "one of " + string.Join(", ", Enum.GetNames(type).Select(n => n.ToLowerInvariant())),
            _ => type.Name,
        };
        return $"{given.Option.Name} takes {expected}, not '{string.Join(" ", given.Tokens.Select(t => t.Value))}'.";
    }

    /// <summary>Numbers parse "NaN" and "Infinity"; no rate, weight or coefficient of ours means anything
    /// then, and NaN slips past every range check (all comparisons with it are false).</summary>
    private static List<string> NotFinite(ParseResult parsed) =>
    [
        .. parsed.CommandResult.Children.OfType<OptionResult>()
            .Where(o => o.Option.ValueType == typeof(double) && !double.IsFinite(o.GetValueOrDefault<double>()))
            .Select(o => $"{o.Option.Name} takes a finite number, not '{string.Join(" ", o.Tokens.Select(t => t.Value))}'."),
    ];

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
