namespace RawGan.Data;

/// <summary>
/// The data set cannot be used (missing folder, no readable image, unwritable cache).
/// The message is written for the user: the CLI prints it and exits before training.
/// </summary>
public sealed class DataException : Exception
{
    public DataException(string message) : base(message) { }
    public DataException(string message, Exception inner) : base(message, inner) { }
}
