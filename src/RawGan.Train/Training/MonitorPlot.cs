using StbImageSharp;
using StbImageWriteSharp;

namespace RawGan.Training;

/// <summary>
/// monitor.png: one panel per group of curves (losses; discriminator outputs; a recipe's own), stacked
/// vertically, redrawn from the metric history as training goes.
/// </summary>
public static class MonitorPlot
{
    public static void Save(string path, IReadOnlyList<double> steps, IReadOnlyList<(string Title, string[] Series)> panels,
        IReadOnlyDictionary<string, List<double>> history, int width = 900, int panelHeight = 300)
    {
        var images = new List<ImageResult>();
        foreach (var (title, series) in panels)
        {
            using var plot = new ScottPlot.Plot();
            plot.Title(title);
            plot.XLabel("step");
            foreach (var name in series)
            {
                if (!history.TryGetValue(name, out var values) || values.Count == 0) continue;
                var line = plot.Add.ScatterLine(steps.Take(values.Count).ToArray(), values.ToArray());
                line.LegendText = name;
            }
            plot.ShowLegend();
            var png = plot.GetImageBytes(width, panelHeight, ScottPlot.ImageFormat.Png);
            images.Add(ImageResult.FromMemory(png, StbImageSharp.ColorComponents.RedGreenBlueAlpha));
        }

        var canvas = new byte[width * panelHeight * images.Count * 4];
        for (int i = 0; i < images.Count; i++)
            Buffer.BlockCopy(images[i].Data, 0, canvas, i * width * panelHeight * 4, width * panelHeight * 4);
        var tmp = path + ".tmp";
        using (var stream = File.Create(tmp))
            new ImageWriter().WritePng(canvas, width, panelHeight * images.Count, StbImageWriteSharp.ColorComponents.RedGreenBlueAlpha, stream);
        File.Move(tmp, path, overwrite: true);
    }
}
