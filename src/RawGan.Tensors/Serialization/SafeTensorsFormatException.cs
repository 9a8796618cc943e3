namespace RawGan.Serialization;

/// <summary>A safetensors file that cannot be read as written: truncated, corrupted or hostile.
/// The only exception <see cref="SafeTensorsFile.Read(string)"/> throws for bad content, so
/// callers can catch one type and report the file and the reason.</summary>
public sealed class SafeTensorsFormatException : Exception
{
    /// <summary>The path of the file, or the name given for a stream.</summary>
    public string FileName { get; }

    public SafeTensorsFormatException(string fileName, string problem, Exception? inner = null)
        : base($"{fileName}: not a valid safetensors file: {problem}", inner)
    {
        FileName = fileName;
    }
}
