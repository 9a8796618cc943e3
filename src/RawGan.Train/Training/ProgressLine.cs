using System.Diagnostics;
using System.Globalization;

namespace RawGan.Training;

/// <summary>The live status line: rewritten in place on a terminal, printed every few seconds to logs.</summary>
public sealed class ProgressLine(TextWriter output, bool interactive)
{
    private readonly Stopwatch _sinceDraw = Stopwatch.StartNew();
    private bool _drawn;

    public void Update(string text, bool force = false)
    {
        var interval = interactive ? TimeSpan.FromMilliseconds(250) : TimeSpan.FromSeconds(10);
        if (!force && _drawn && _sinceDraw.Elapsed < interval) return;
        _sinceDraw.Restart();
        _drawn = true;
        if (interactive) output.Write("\r" + text.PadRight(Math.Min(Console.WindowWidth - 1, 160)));
        else output.WriteLine(text);
    }

    /// <summary>Ends the in-place line before other output.</summary>
    public void Break()
    {
        if (interactive && _drawn) output.WriteLine();
        _drawn = false;
    }

    /// <summary>m:ss, h:mm:ss, or with days (a large run on the CPU): "2d 6:00:00"; beyond 999 days, "> 999 days".</summary>
    public static string Eta(double seconds)
    {
        if (!(seconds < 1000 * 86400.0)) return "> 999 days";
        var remaining = TimeSpan.FromSeconds(seconds);
        return remaining.TotalDays >= 1 ? $"{(int)remaining.TotalDays}d {remaining.ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture)}"
             : remaining.TotalHours >= 1 ? remaining.ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture)
             : remaining.ToString(@"m\:ss", CultureInfo.InvariantCulture);
    }
}
