using System.Globalization;
using System.Text;
using System.Text.Json;

namespace RawGan.Training;

/// <summary>The files of one run: config.json, metrics.jsonl, monitor.png, samples/, checkpoints/.</summary>
public sealed class RunFolder
{
    /// <summary>Names the files of the run in <paramref name="root"/>; creates nothing (see <see cref="Create"/>).</summary>
    public RunFolder(string root) => Root = Path.GetFullPath(root);

    /// <summary>The run folder, with its samples/ and checkpoints/, created where missing.</summary>
    public static RunFolder Create(string root)
    {
        var folder = new RunFolder(root);
        Directory.CreateDirectory(folder.Samples);
        Directory.CreateDirectory(folder.Checkpoints);
        return folder;
    }

    public string Root { get; }
    public string Config => Path.Combine(Root, "config.json");
    public string Metrics => Path.Combine(Root, "metrics.jsonl");
    public string Monitor => Path.Combine(Root, "monitor.png");
    public string Samples => Path.Combine(Root, "samples");
    public string Checkpoints => Path.Combine(Root, "checkpoints");

    /// <summary>runs/RECIPE-yyyyMMdd-HHmmss, with "-2", "-3", ... when a run started in the same second.</summary>
    public static string DefaultPath(string recipe)
    {
        string stamp = Path.Combine("runs", $"{recipe}-{DateTime.Now.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)}");
        string path = stamp;
        for (int i = 2; Directory.Exists(path); i++) path = $"{stamp}-{i}";
        return path;
    }

    /// <summary>Whether <paramref name="root"/> already holds a run: writing another into it would mix
    /// their metrics and let pruning delete one run's checkpoints for the other's.</summary>
    public static bool HoldsRun(string root) =>
        File.Exists(Path.Combine(root, "config.json")) || File.Exists(Path.Combine(root, "metrics.jsonl"))
        || (Directory.Exists(Path.Combine(root, "checkpoints")) && Directory.EnumerateFiles(Path.Combine(root, "checkpoints")).Any());

    public string SamplePath(long step) => Path.Combine(Samples, $"step-{step:D6}.png");
    public string CheckpointPath(long step) => Path.Combine(Checkpoints, $"step-{step:D6}.safetensors");

    /// <summary>The newest complete checkpoint; half-written files never carry the final name.</summary>
    public string? NewestCheckpoint() => ListCheckpoints().LastOrDefault();

    /// <summary>The checkpoints, oldest first, by step number: past step 999,999 the names grow a digit,
    /// so their alphabetical order is not their age.</summary>
    public IReadOnlyList<string> ListCheckpoints() => Directory.Exists(Checkpoints)
        ? [.. Directory.GetFiles(Checkpoints, "step-*.safetensors")
              .Select(f => (File: f, Step: long.TryParse(Path.GetFileNameWithoutExtension(f)["step-".Length..], out long s) ? s : -1))
              .Where(c => c.Step >= 0).OrderBy(c => c.Step).Select(c => c.File)]
        : [];

    /// <summary>Deletes all but the newest keep checkpoints, and the .tmp of a write that was killed.</summary>
    public void PruneCheckpoints(int keep)
    {
        var all = ListCheckpoints();
        for (int i = 0; i < all.Count - keep; i++) File.Delete(all[i]);
        foreach (var partial in Directory.GetFiles(Checkpoints, "step-*.safetensors.tmp")) File.Delete(partial);
    }

    public void WriteConfig(object config) =>
        File.WriteAllText(Config, JsonSerializer.Serialize(config, new JsonSerializerOptions { WriteIndented = true }));

    /// <summary>Keeps only the metric lines up to step (a resumed run rewrites what came after its checkpoint).</summary>
    public void TruncateMetrics(long step)
    {
        if (!File.Exists(Metrics)) return;
        var kept = File.ReadLines(Metrics).Where(line =>
        {
            try { return JsonDocument.Parse(line).RootElement.GetProperty("step").GetInt64() <= step; }
            catch (JsonException) { return false; }
        }).ToList();
        File.WriteAllLines(Metrics, kept);
    }

    /// <summary>The step column and the named metrics of a metrics.jsonl, one list per name; a line
    /// without a metric (an evaluation not run at that step) holds NaN there. No file: empty lists.</summary>
    public static Dictionary<string, List<double>> ReadHistory(string metricsFile, IEnumerable<string> names)
    {
        var history = names.Append("step").Distinct().ToDictionary(n => n, _ => new List<double>());
        if (!File.Exists(metricsFile)) return history;
        foreach (var doc in ReadMetricLines(metricsFile))
            using (doc)
                foreach (var (name, list) in history)
                    list.Add(doc.RootElement.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetDouble() : double.NaN);
        return history;
    }

    /// <summary>The lines of a metrics.jsonl, parsed, in order; the caller disposes each. Blank lines are
    /// skipped, and so is a last line that does not parse: a run killed while writing it, or one still
    /// running, leaves a partial line. A damaged line before the last is an error naming file and line.</summary>
    public static IEnumerable<JsonDocument> ReadMetricLines(string metricsFile)
    {
        var lines = File.ReadAllLines(metricsFile);
        int last = Array.FindLastIndex(lines, line => !string.IsNullOrWhiteSpace(line));
        for (int i = 0; i <= last; i++)
        {
            if (string.IsNullOrWhiteSpace(lines[i])) continue;
            JsonDocument doc;
            try
            {
                doc = JsonDocument.Parse(lines[i]);
            }
            catch (JsonException e)
            {
                if (i == last) yield break;
                throw new IOException($"{metricsFile} line {i + 1} is not a JSON object ({e.Message.Split(" Path:")[0]})", e);
            }
            yield return doc;
        }
    }

    public static string MetricsLine(IEnumerable<(string Name, double Value)> fields)
    {
        var sb = new StringBuilder("{");
        foreach (var (name, value) in fields)
        {
            if (sb.Length > 1) sb.Append(',');
            sb.Append('"').Append(name).Append("\":");
            sb.Append(double.IsFinite(value) ? value.ToString("R", CultureInfo.InvariantCulture) : $"\"{value.ToString(CultureInfo.InvariantCulture)}\"");
        }
        return sb.Append('}').ToString();
    }
}
