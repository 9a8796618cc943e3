using System.Text;

namespace RawGan.Data;

public sealed record BadFile(string Name, string Reason);

/// <summary>What loading a folder found: how many files, how many became images, which were skipped and why.</summary>
public sealed record DataReport(
    string Source,
    int FilesFound,
    int Images,
    int Skipped,
    IReadOnlyList<BadFile> FirstBadFiles,
    IReadOnlyList<string> RepeatedFolders,
    bool FromCache,
    string CachePath,
    TimeSpan Elapsed)
{
    /// <summary>How many bad files are named; the rest are only counted.</summary>
    public const int BadFilesNamed = 5;

    public override string ToString()
    {
        var text = new StringBuilder();
        text.Append($"{Images:N0} images from {FilesFound:N0} files in '{Source}'");
        text.Append(FromCache ? $" (cache {CachePath})" : $" (decoded in {Elapsed.TotalSeconds:F1} s, cached to {CachePath})");
        if (RepeatedFolders.Count > 0)
            text.Append($"; did not follow {RepeatedFolders.Count:N0} folder link{(RepeatedFolders.Count == 1 ? "" : "s")} "
                + $"to a folder already read ({string.Join(", ", RepeatedFolders.Take(BadFilesNamed))}"
                + (RepeatedFolders.Count > BadFilesNamed ? $" and {RepeatedFolders.Count - BadFilesNamed:N0} more" : "") + ")");
        if (Skipped > 0)
        {
            text.Append($"; skipped {Skipped:N0} unreadable file{(Skipped == 1 ? "" : "s")}:");
            foreach (var bad in FirstBadFiles)
                text.Append($"\n  {bad.Name}: {bad.Reason}");
            if (Skipped > FirstBadFiles.Count)
                text.Append($"\n  ... and {Skipped - FirstBadFiles.Count:N0} more");
        }
        return text.ToString();
    }
}
