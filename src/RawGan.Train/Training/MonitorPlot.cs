using RawGan.Images;
using StbImageSharp;

namespace RawGan.Training;

/// <summary>
/// monitor.png: one panel per group of curves (losses; discriminator outputs; a recipe's own), stacked
/// vertically, redrawn from the metric history as training goes. `rawgan plot` draws several runs'
/// curves into the same kind of image.
/// </summary>
public static class MonitorPlot
{
    /// <summary>One curve of a panel; NaN values (steps without a measurement) are left out.</summary>
    public sealed record Line(string Label, IReadOnlyList<double> X, IReadOnlyList<double> Y);

    public static void Save(string path, IReadOnlyList<double> steps, IReadOnlyList<(string Title, string[] Series)> panels,
        IReadOnlyDictionary<string, List<double>> history, int width = 900, int panelHeight = 300) =>
        SaveLines(path, [.. panels.Select(p => (p.Title, (IReadOnlyList<Line>)[.. p.Series
            .Where(history.ContainsKey).Select(name => new Line(name, steps, history[name]))]))], width, panelHeight);

    public static void SaveLines(string path, IReadOnlyList<(string Title, IReadOnlyList<Line> Lines)> panels, int width = 900, int panelHeight = 300)
    {
        var images = new List<ImageResult>();
        // One colour per label across all panels, so a run (or a metric) looks the same in each.
        var labels = panels.SelectMany(p => p.Lines).Select(l => l.Label).Distinct().ToList();
        var palette = new ScottPlot.Palettes.Category10();
        foreach (var (title, lines) in panels)
        {
            using var plot = new ScottPlot.Plot();
            plot.Title(title);
            plot.XLabel("step");
            foreach (var line in lines)
            {
                var points = Enumerable.Range(0, Math.Min(line.X.Count, line.Y.Count)).Where(i => double.IsFinite(line.Y[i])).ToArray();
                if (points.Length == 0) continue;
                var scatter = plot.Add.ScatterLine(points.Select(i => line.X[i]).ToArray(), points.Select(i => line.Y[i]).ToArray());
                scatter.LegendText = line.Label;
                scatter.Color = palette.GetColor(labels.IndexOf(line.Label));
            }
            plot.ShowLegend(ScottPlot.Edge.Right);  // beside the axes: a legend inside covers the curves' ends
            var png = plot.GetImageBytes(width, panelHeight, ScottPlot.ImageFormat.Png);
            images.Add(ImageResult.FromMemory(png, StbImageSharp.ColorComponents.RedGreenBlueAlpha));
        }

        var canvas = new byte[width * panelHeight * images.Count * 4];
        for (int i = 0; i < images.Count; i++)
            Buffer.BlockCopy(images[i].Data, 0, canvas, i * width * panelHeight * 4, width * panelHeight * 4);
        ImageFile.Write(path, canvas, width, panelHeight * images.Count, StbImageWriteSharp.ColorComponents.RedGreenBlueAlpha);
    }
}
