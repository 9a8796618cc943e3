using System.CommandLine;
using System.Text.Json;
using RawGan.Training;

namespace RawGan.Cli;

/// <summary>
/// `rawgan plot RUN [RUN ...]`: the curves of several runs in one image, one panel per metric and one
/// line per run, to compare settings (fp32 against bf16, two learning rates) on the same axes.
/// </summary>
public static class PlotCommand
{
    /// <summary>metrics.jsonl columns that describe the run's pace, not its training: drawn only when
    /// --metrics names them.</summary>
    private static readonly HashSet<string> Pace = ["epoch", "lr", "seconds_per_step", "images_per_s"];

    public static Command Create(TextWriter output)
    {
        var runs = new Argument<string[]>("runs") { Description = "Run folders (each with its metrics.jsonl).", Arity = ArgumentArity.OneOrMore };
        var metrics = new Option<string?>("--metrics") { Description = "Comma-separated metric names (lr, seconds_per_step, images_per_s and epoch too). Default: every training metric of the first run." };
        var smooth = new Option<int?>("--smooth") { Description = "Moving average over N steps (1: raw values). Default: 1/100 of the longest run." };
        var outPath = CheckedOptions.ImageOutput("--out", "The image to write", "compare.png");
        var command = new Command("plot", "Draw the metric curves of several runs in one image, to compare them.");
        command.Arguments.Add(runs);
        foreach (var o in new Option[] { metrics, smooth, outPath }) command.Options.Add(o);
        command.SetAction(parsed =>
        {
            var folders = parsed.GetValue(runs)!;
            var histories = folders.Select(Read).ToArray();
            // Two runs with one label (the same folder twice, or two folders of one name) get numbered.
            for (int i = 0; i < histories.Length; i++)
                if (histories.Count(h => h.Label == histories[i].Label) > 1) histories[i] = histories[i] with { Label = $"{histories[i].Label} #{i + 1}" };
            string[] trained = [.. histories[0].Names.Where(n => !Pace.Contains(n))];
            string[] names = parsed.GetValue(metrics) is { } list
                ? list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                : trained;
            if (names.Length == 0) throw new ArgumentException("--metrics names no metric");
            foreach (var name in names)
                if (!histories.Any(h => h.Names.Contains(name)))
                    throw new ArgumentException($"no run has a metric '{name}'; {folders[0]} has " +
                        $"{string.Join(", ", trained)} (and {string.Join(", ", histories[0].Names.Where(Pace.Contains))})");
            var unused = histories.Where(h => !names.Any(h.Names.Contains)).Select(h => h.Label).ToList();
            if (unused.Count > 0)
                output.WriteLine($"not drawn: {string.Join(", ", unused)} (none of {string.Join(", ", names)}; --metrics chooses others)");
            int window = parsed.GetValue(smooth) ?? Math.Max(1, histories.Max(h => h.Steps.Count) / 100);
            if (window < 1) throw new ArgumentException("--smooth must be at least 1");

            var panels = names.Select(name => (name + (window > 1 ? $" (mean of {window} steps)" : ""),
                (IReadOnlyList<MonitorPlot.Line>)[.. histories.Where(h => h.Names.Contains(name))
                    .Select(h => new MonitorPlot.Line(h.Label, h.Steps, MovingAverage(h.Values[name], window)))])).ToList();
            string path = Path.GetFullPath(parsed.GetValue(outPath)!);
            MonitorPlot.SaveLines(path, panels);
            output.WriteLine($"{path}: {names.Length} panel{(names.Length == 1 ? "" : "s")} ({string.Join(", ", names)}) of {folders.Length - unused.Count} run{(folders.Length - unused.Count == 1 ? "" : "s")}" +
                             (window > 1 ? $", each a moving average over {window} steps (--smooth 1 for raw values)" : ""));
            return 0;
        });
        return command;
    }

    /// <summary>One run's curves, labelled by its folder name and, when config.json says, its precision.</summary>
    private sealed record History(string Label, IReadOnlyList<string> Names, List<double> Steps, Dictionary<string, List<double>> Values);

    private static History Read(string folder)
    {
        string metricsFile = Path.Combine(folder, "metrics.jsonl");
        if (!Directory.Exists(folder)) throw new ArgumentException($"{folder}: no such run folder");
        if (!File.Exists(metricsFile)) throw new ArgumentException($"{folder}: no metrics.jsonl (is it a run folder of rawgan train?)");
        // Every numeric column of any line: evaluations (swd_avg, ...) appear only on the steps they ran.
        var names = new List<string>();
        foreach (var doc in RunFolder.ReadMetricLines(metricsFile))
            using (doc)
                foreach (var p in doc.RootElement.EnumerateObject())
                    if (p.Value.ValueKind == JsonValueKind.Number && p.Name != "step" && !names.Contains(p.Name)) names.Add(p.Name);
        if (names.Count == 0) throw new ArgumentException($"{metricsFile} holds no metrics: the run has not finished a step");
        var values = RunFolder.ReadHistory(metricsFile, names);
        return new History(Label(folder), names, values["step"], values);
    }

    private static string Label(string folder)
    {
        string name = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder)));
        string config = Path.Combine(folder, "config.json");
        if (!File.Exists(config)) return name;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(config));
            return doc.RootElement.TryGetProperty("train", out var train) && train.TryGetProperty("Precision", out var p) && p.GetString() is { } precision
                ? $"{name} ({precision})"
                : name;
        }
        catch (JsonException)
        {
            return name; // a damaged config only costs the label its precision
        }
    }

    /// <summary>The mean of each value and the window - 1 before it (fewer at the start); NaNs are skipped.</summary>
    public static List<double> MovingAverage(IReadOnlyList<double> values, int window)
    {
        var result = new List<double>(values.Count);
        double sum = 0;
        int count = 0;
        for (int i = 0; i < values.Count; i++)
        {
            if (double.IsFinite(values[i])) { sum += values[i]; count++; }
            if (i >= window && double.IsFinite(values[i - window])) { sum -= values[i - window]; count--; }
            result.Add(count > 0 && double.IsFinite(values[i]) ? sum / count : double.NaN);
        }
        return result;
    }
}
