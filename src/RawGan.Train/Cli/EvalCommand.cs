using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using RawGan.Checkpoints;
using RawGan.Data;
using RawGan.Eval;
using Spectre.Console;

namespace RawGan.Cli;

/// <summary>`rawgan eval`: ProGAN's sliced Wasserstein distance of generated against real images, beside a
/// real-vs-real baseline, with diversity (mode collapse) and nearest-training-image (memorisation) checks.</summary>
public static class EvalCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var real = new Option<string>("--real") { Description = "Folder of real (training) images.", Required = true };
        var fake = new Option<string?>("--fake") { Description = "Folder of generated images (e.g. from rawgan sample --each)." };
        var checkpoint = new Option<string?>("--checkpoint") { Description = "A checkpoint (or a run folder: its newest) whose generator makes the images." };
        var count = CheckedOptions.InRange("--count", "Images per side (ProGAN: 16384); fewer are used when a set is smaller.", 16384, min: 2, max: 1_000_000);
        var size = new Option<int?>("--size") { Description = "Image size, 16 to 1024. Default: the checkpoint's, or the --fake images' own." };
        CheckedOptions.Check(size, value => value is int s && s is < LaplacianPyramid.MinimumSize or > 1024
            ? $"--size must be between {LaplacianPyramid.MinimumSize} and 1024 (the pyramid's coarsest level is {LaplacianPyramid.MinimumSize}), got {s}."
            : null);
        var crop = new Option<int?>("--crop") { Description = "Centre N x N box cut from the real images before resizing. Default: the checkpoint run's --crop." };
        var seed = new Option<ulong>("--seed") { Description = "Seed of image choice, latents, patches and directions.", DefaultValueFactory = _ => 0 };
        var json = new Option<bool>("--json") { Description = "Print one JSON object on stdout (progress goes to stderr)." };
        var device = new Option<string>("--device") { Description = "auto, cpu or cuda (for --checkpoint).", DefaultValueFactory = _ => "auto" };
        var nearest = new Option<int>("--nearest") { Description = "Generated images shown with their nearest training images (0: none).", DefaultValueFactory = _ => 8 };
        var nearestOut = CheckedOptions.ImageOutput("--nearest-out", "Where the nearest-image grid goes", "nearest.png");
        var command = new Command("eval", "Sliced Wasserstein distance (ProGAN), diversity and memorisation of generated vs real images.");
        foreach (var o in new Option[] { real, fake, checkpoint, count, size, crop, seed, json, device, nearest, nearestOut }) command.Options.Add(o);
        command.SetAction(parsed =>
        {
            bool asJson = parsed.GetValue(json);
            var log = asJson ? error : output;
            string? fakePath = parsed.GetValue(fake), checkpointPath = parsed.GetValue(checkpoint);
            if ((fakePath is null) == (checkpointPath is null)) throw new ArgumentException("give either --fake DIR or --checkpoint FILE");
            int n = parsed.GetValue(count);
            if (parsed.GetValue(nearest) < 0) throw new ArgumentException("--nearest cannot be negative");
            ulong s = parsed.GetValue(seed);
            int? imageSize = parsed.GetValue(size);
            int? realCrop = parsed.GetValue(crop);
            var progress = new ProgressReporter(log);

            IImageDataset fakes;
            FolderDataset? fakeFolder = null;
            FolderDataset realFolder;
            if (checkpointPath is not null)
            {
                var dev = DeviceChoice.Resolve(parsed.GetValue(device)!, log);
                var (recipe, info, checkpointFile) = Checkpoint.Load(checkpointPath, dev);
                using var owned = recipe;
                int generatedSize = ImageBuffer.Generate(recipe, 1, new Generator(0)).Size;
                if (imageSize is int asked && asked != generatedSize)
                    throw new ArgumentException($"--size {asked}, but the checkpoint's generator makes {generatedSize}x{generatedSize} images");
                imageSize = generatedSize;
                if (realCrop is null)
                {
                    var (config, runCrop) = RunCrop(checkpointFile);
                    realCrop = runCrop;
                    if (config is null)
                        log.WriteLine("no config.json of the checkpoint's run (its folder is two levels up): real images are not cropped; give --crop as the run did");
                    else if (runCrop is int c)
                        log.WriteLine($"cropping real images to {c}x{c} as the run did ({config}); override with --crop");
                }
                realFolder = DataProgress.Open(new FolderOptions { Path = parsed.GetValue(real)!, Size = generatedSize, Crop = realCrop }, log);
                int generate = Math.Min(n, realFolder.Count);
                fakes = progress.Run(() => ImageBuffer.Generate(recipe, generate, new Generator(s),
                    progress.Images($"generating {generate} images ({info.Recipe} step {info.Step})", generate)));
            }
            else
            {
                imageSize = FakeSize(fakePath!, imageSize, log);
                realFolder = DataProgress.Open(new FolderOptions { Path = parsed.GetValue(real)!, Size = imageSize.Value, Crop = realCrop }, log);
                fakeFolder = DataProgress.Open(new FolderOptions { Path = fakePath!, Size = imageSize.Value }, log);
                fakes = fakeFolder;
            }
            using var ownedReal = realFolder;
            using var ownedFake = fakeFolder;

            var options = new EvalOptions { Count = n, Seed = s, NearestSamples = parsed.GetValue(nearest) };
            var report = progress.Run(() => Evaluation.Run(realFolder, fakes, options, progress.Stages()));
            string? grid = null;
            if (report.Nearest.Length > 0)
            {
                grid = parsed.GetValue(nearestOut)!;
                NearestNeighbours.Grid(fakes, realFolder, report.Nearest).Save(grid);
            }
            if (asJson) output.WriteLine(Json(report, s, grid).ToJsonString());
            else Table(output, report, grid);
            return 0;
        });
        return command;
    }

    /// <summary>The size to compare at with --fake: the generated images' own (the first readable one's)
    /// unless --size says otherwise. Resizing them would blur or sharpen them, and SWD would measure
    /// the resize along with the generator, so a --size that differs is said aloud.</summary>
    private static int FakeSize(string fakeFolder, int? asked, TextWriter log)
    {
        var (width, height) = ImageFolder.FirstImageSize(fakeFolder);
        if (asked is int size)
        {
            if (width != size || height != size)
                log.WriteLine($"resizing the generated images from {width}x{height} to {size}x{size}: SWD measures the resize too; leave out --size to compare at their own size");
            return size;
        }
        if (width != height || width is < LaplacianPyramid.MinimumSize or > 1024)
            throw new ArgumentException($"the generated images in '{fakeFolder}' are {width}x{height}; give --size (16 to 1024) to compare them at a square size");
        log.WriteLine($"comparing at {width}x{width}, the generated images' size");
        return width;
    }

    /// <summary>The config.json of the run a checkpoint came from (runs/X/checkpoints/step-N.safetensors →
    /// runs/X/config.json) and its --crop; null and null where there is none (a checkpoint copied elsewhere).</summary>
    private static (string? Config, int? Crop) RunCrop(string checkpointPath)
    {
        var runFolder = Path.GetDirectoryName(Path.GetDirectoryName(Path.GetFullPath(checkpointPath)));
        if (runFolder is null) return (null, null);
        var config = Path.Combine(runFolder, "config.json");
        if (!File.Exists(config)) return (null, null);
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(config));
            return (config, doc.RootElement.TryGetProperty("train", out var train) && train.TryGetProperty("Crop", out var c) && c.ValueKind == JsonValueKind.Number
                ? c.GetInt32() : null);
        }
        catch (JsonException) { return (null, null); }
    }

    private static JsonObject Json(EvalReport report, ulong seed, string? grid)
    {
        var o = new JsonObject();
        foreach (var (name, value) in report.Fake.Fields()) o[name] = Round(value);
        var baseline = new JsonObject { ["count"] = report.BaselineCount };
        foreach (var (name, value) in report.Baseline.Fields()) baseline[name] = Round(value);
        o["baseline"] = baseline;
        o["count"] = report.Count;
        o["real_images"] = report.RealImages;
        o["fake_images"] = report.FakeImages;
        o["size"] = report.Size;
        o["seed"] = seed;
        o["diversity_fake"] = Round(report.Diversity.Fake);
        o["diversity_real"] = Round(report.Diversity.Real);
        o["diversity_ratio"] = Round(report.Diversity.Ratio);
        o["collapse"] = report.Diversity.Collapsed;
        if (grid is not null)
        {
            o["nearest_fake"] = Round(report.Nearest.Average(m => m.Distances[0]));
            o["nearest_real"] = Round(report.NearestReal.Average(m => m.Distances[0]));
            o["nearest_png"] = grid;
        }
        return o;
    }

    private static double Round(double value) => Math.Round(value, 6);

    private static void Table(TextWriter output, EvalReport report, string? grid)
    {
        string F(double v) => v.ToString("F3", CultureInfo.InvariantCulture);
        output.WriteLine();
        output.WriteLine($"sliced Wasserstein distance x1e3 (ProGAN), {report.Size}x{report.Size}; lower is closer to the real images");
        output.WriteLine($"{"",-18}{"real vs generated",20}{"real vs real",16}");
        output.WriteLine($"{"images per side",-18}{report.Count,20:N0}{report.BaselineCount,16:N0}");
        foreach (var ((name, fake), (_, real)) in report.Fake.Fields().Zip(report.Baseline.Fields()))
            output.WriteLine($"{name,-18}{F(fake),20}{F(real),16}");
        if (report.Count < 16384 || report.BaselineCount < report.Count)
            output.WriteLine($"(ProGAN's protocol uses 16,384 a side; {report.RealImages:N0} real and {report.FakeImages:N0} generated images were there. " +
                             "SWD of smaller sets reads higher: compare numbers at equal counts.)");
        output.WriteLine();
        var d = report.Diversity;
        output.WriteLine($"diversity (RMS pixel distance between two images): generated {F(d.Fake)}, real {F(d.Real)}, ratio {F(d.Ratio)}");
        if (d.Collapsed)
            output.WriteLine($"warning: generated images vary far less than real ones (ratio under {Diversity.CollapseRatio}): the generator has collapsed");
        if (grid is not null)
        {
            output.WriteLine($"nearest training image (RMS pixel distance): generated {F(report.Nearest.Average(m => m.Distances[0]))}, " +
                             $"real to other real {F(report.NearestReal.Average(m => m.Distances[0]))}");
            output.WriteLine($"wrote {grid}: each row a generated image, then its {report.Nearest[0].Neighbours.Length} nearest training images; " +
                             "copies of training images show up as near-identical neighbours");
        }
    }

    /// <summary>A Spectre.Console progress bar per stage on an interactive console, else a line per 10%.</summary>
    private sealed class ProgressReporter(TextWriter log)
    {
        readonly bool interactive = ReferenceEquals(log, Console.Out) ? !Console.IsOutputRedirected
                                  : ReferenceEquals(log, Console.Error) && !Console.IsErrorRedirected;
        readonly Lock gate = new();
        readonly Dictionary<string, int> printed = [];
        Dictionary<string, ProgressTask>? tasks;
        ProgressContext? context;

        /// <summary>Runs work inside one progress display, a bar per stage it reports.</summary>
        public T Run<T>(Func<T> work)
        {
            if (!interactive) return work();
            var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(log) });
            T result = default!;
            console.Progress().Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
                .Start(ctx =>
                {
                    (context, tasks) = (ctx, []);
                    result = work();
                    foreach (var task in tasks.Values) task.Value = task.MaxValue;
                });
            (context, tasks) = (null, null);
            return result;
        }

        public IProgress<EvalProgress> Stages() => new Evaluation.SyncProgress<EvalProgress>(p => Report(p.Stage, p.Fraction));

        public IProgress<int> Images(string stage, int total) => new Evaluation.SyncProgress<int>(done => Report(stage, (double)done / total));

        void Report(string stage, double fraction)
        {
            lock (gate)
            {
                if (context is not null && tasks is not null)
                {
                    if (!tasks.TryGetValue(stage, out var task)) tasks[stage] = task = context.AddTask(stage, maxValue: 1);
                    task.Value = fraction;
                    return;
                }
                int tenth = (int)(fraction * 10);
                if (printed.TryGetValue(stage, out int last) && last >= tenth) return;
                printed[stage] = tenth;
                log.WriteLine($"{stage}: {fraction * 100:F0}%");
            }
        }
    }
}
