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
        option.Validators.Add(result =>
        {
            if (ImageFile.Problem(result.GetValueOrDefault<string>()) is { } problem) result.AddError(problem);
        });
        return option;
    }

    /// <summary>A whole number in [min, max]; the limits say what the command can do, not what it should.</summary>
    public static Option<int> InRange(string name, string description, int defaultValue, int min, int max)
    {
        var option = new Option<int>(name) { Description = description, DefaultValueFactory = _ => defaultValue };
        option.Validators.Add(result =>
        {
            int value = result.GetValueOrDefault<int>();
            if (value < min || value > max) result.AddError($"{name} must be between {min:N0} and {max:N0}, got {value:N0}.");
        });
        return option;
    }
}
