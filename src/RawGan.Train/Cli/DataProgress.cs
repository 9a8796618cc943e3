using RawGan.Data;
using Spectre.Console;

namespace RawGan.Cli;

/// <summary>Opens an image folder with a progress bar for the first (decoding) pass, then reports
/// how many files were unreadable and which.</summary>
public static class DataProgress
{
    public static FolderDataset Open(FolderOptions options, TextWriter output, CancellationToken cancel = default)
    {
        FolderDataset? dataset = null;
        if (Console.IsOutputRedirected || !ReferenceEquals(output, Console.Out))
        {
            int lastPercent = -1;
            dataset = FolderDataset.Open(options, new Progress<(int done, int total)>(p =>
            {
                int percent = p.total == 0 ? 100 : p.done * 100 / p.total;
                if (percent / 10 == lastPercent / 10) return;
                lastPercent = percent;
                output.WriteLine($"decoding {options.Path}: {p.done}/{p.total} images");
            }), cancel);
        }
        else
        {
            AnsiConsole.Progress().Start(ctx =>
            {
                var task = ctx.AddTask($"decoding {Path.GetFileName(Path.TrimEndingDirectorySeparator(options.Path))}");
                dataset = FolderDataset.Open(options, new SyncProgress(p =>
                {
                    task.MaxValue = Math.Max(1, p.total);
                    task.Value = p.done;
                }), cancel);
                task.Value = task.MaxValue;
            });
        }
        var report = dataset!.Report;
        output.WriteLine(report.ToString());
        return dataset;
    }

    /// <summary>Reports on the calling thread: Progress&lt;T&gt; would post to the thread pool and lag.</summary>
    private sealed class SyncProgress(Action<(int done, int total)> report) : IProgress<(int done, int total)>
    {
        private readonly Lock _gate = new();

        public void Report((int done, int total) value)
        {
            lock (_gate) report(value);
        }
    }
}
