using System.CommandLine;
using RawGan.Images;

namespace RawGan.Cli;

/// <summary>Options that name an image file to write: a name RawGan cannot write (see
/// <see cref="ImageFile"/>) is a malformed command line, refused before any work.</summary>
public static class ImageOutputOption
{
    public static Option<string> Create(string name, string description, string defaultPath)
    {
        var option = new Option<string>(name) { Description = $"{description} (.png, .jpg or .bmp). Default: {defaultPath}.", DefaultValueFactory = _ => defaultPath };
        option.Validators.Add(result =>
        {
            if (ImageFile.Problem(result.GetValueOrDefault<string>()) is { } problem) result.AddError(problem);
        });
        return option;
    }
}
