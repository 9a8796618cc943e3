using System.CommandLine;
using RawGan.Images;

namespace RawGan.Cli;

/// <summary>Options whose values are checked when the command line is parsed: a bad one is a malformed
/// command line (exit 2), refused before any work, with a message naming the option and its limits.</summary>
public static class CheckedOptions
{
    /// <summary>An image file to write: a name RawGan cannot write (see <see cref="ImageFile"/>) is refused.</summary>
    public static Option<string> ImageOutput(string name, string description, string defaultPath)
    {
        var option = new Option<string>(name) { Description = $"{description} (.png, .jpg or .bmp). Default: {defaultPath}.", DefaultValueFactory = _ => defaultPath };
        Check(option, ImageFile.Problem);
        return option;
    }

    /// <summary>A whole number in [min, max]; the limits say what the command can do, not what it should.</summary>
    public static Option<int> InRange(string name, string description, int defaultValue, int min, int max)
    {
        var option = new Option<int>(name) { Description = description, DefaultValueFactory = _ => defaultValue };
        Check(option, value => value < min || value > max ? $"{name} must be between {min:N0} and {max:N0}, got {value:N0}." : null);
        return option;
    }

    /// <summary>Adds a check of the option's value: problem returns the error message, or null when the
    /// value is fine. System.CommandLine runs validators before it converts the text, and getting the
    /// value of text that does not convert (`--count 1e3`) throws: that case is left to the parser,
    /// which reports it (RawGanCli words the message).</summary>
    public static void Check<T>(Option<T> option, Func<T, string?> problem) => option.Validators.Add(result =>
    {
        T value;
        try { value = result.GetValueOrDefault<T>(); }
        catch (InvalidOperationException) { return; }
        if (problem(value) is { } message) result.AddError(message);
    });
}
