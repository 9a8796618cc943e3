using System.CommandLine;
using System.Runtime.InteropServices;
using System.Text.Json;
using RawGan.Checkpoints;
using RawGan.Data;
using RawGan.Training;

namespace RawGan.Cli;

/// <summary>`rawgan train RECIPE`: the common flags, each recipe's own flags, and the run.</summary>
public static class TrainCommand
{
    private static readonly Option<string?> Data = new("--data") { Description = "Folder of face images (JPEG/PNG/BMP, any tree). Default: built-in synthetic faces." };
    private static readonly Option<string?> Out = new("--out") { Description = "Run folder. Default: runs/<recipe>-<timestamp>." };
    private static readonly Option<int?> Crop = new("--crop") { Description = "Centre N x N box cut before resizing (CelebA's face box)." };
    public static readonly Option<int?> Batch = new("--batch") { Description = "Images per step. Default: the recipe's (dcgan and tfdcgan 128, torchfaces and vaegan 64, began 16; dcgan's CPU preset 64)." };
    private static readonly Option<int?> Epochs = new("--epochs") { Description = "Passes over the data. Default: 20." };
    public static readonly Option<long?> Steps = new("--steps") { Description = "Total steps (overrides --epochs)." };
    private static readonly Option<string> DeviceOption = new("--device") { Description = "auto, cpu or cuda.", DefaultValueFactory = _ => "auto" };
    private static readonly Option<string> PrecisionOption = new("--precision") { Description = "auto (tf32 on CUDA, fp32 on the CPU), fp32 (strict), tf32 (CUDA: tensor cores for fp32 products), or bf16 (products of bfloat16 copies; weights and optimizer state stay fp32; emulated, slower, on the CPU).", DefaultValueFactory = _ => Precision.Auto };
    private static readonly Option<string> GraphOption = new("--graph") { Description = "on: capture the whole step in a CUDA graph and replay it (CUDA; dcgan, tfdcgan, began). Default: off.", DefaultValueFactory = _ => "off" };
    private static readonly Option<ulong> Seed = new("--seed") { Description = "Seed of initialisation, noise and data order.", DefaultValueFactory = _ => 0 };
    private static readonly Option<string?> Resume = new("--resume") { Description = "Continue the run in this folder from its newest checkpoint." };
    public static readonly Option<int?> SampleEvery = new("--sample-every") { Description = "Steps between sample grids and monitor.png updates. Default: 500." };
    private static readonly Option<int?> CheckpointEvery = new("--checkpoint-every") { Description = "Steps between checkpoints. Default: 1000." };
    private static readonly Option<int?> EvalEvery = new("--eval-every") { Description = "Steps between SWD measurements of G against the training data (1,024 images a side), logged to metrics.jsonl and monitor.png. Default: never." };

    public static Command Create(TextWriter output)
    {
        var train = new Command("train", "Train a GAN recipe; writes samples, checkpoints, metrics and plots to a run folder.");
        // One file per recipe: Train<Recipe>.cs builds its command from the common flags below.
        train.Subcommands.Add(TrainDcgan.Create(output));
        train.Subcommands.Add(TrainTorchFaces.Create(output));
        train.Subcommands.Add(TrainVaeGan.Create(output));
        train.Subcommands.Add(TrainTfDcgan.Create(output));
        train.Subcommands.Add(TrainBegan.Create(output));
        return train;
    }

    static TrainCommand()
    {
        PrecisionOption.AcceptOnlyFromAmong(Precision.Choices);
        GraphOption.AcceptOnlyFromAmong("on", "off");
    }

    public static void AddCommon(Command command)
    {
        foreach (var o in new Option[] { Data, Out, Crop, Batch, Epochs, Steps, DeviceOption, PrecisionOption, GraphOption, Seed, Resume, SampleEvery, CheckpointEvery, EvalEvery })
            command.Options.Add(o);
    }

    public static TrainOptions ReadCommon(ParseResult parsed)
    {
        var defaults = new TrainOptions();
        return new TrainOptions
        {
            // Absolute, so that config.json (and a resume from another folder) finds the images again.
            Data = parsed.GetValue(Data) is { } data ? Path.GetFullPath(data) : null,
            Out = parsed.GetValue(Out),
            Crop = parsed.GetValue(Crop),
            Batch = parsed.GetValue(Batch) ?? defaults.Batch,
            Epochs = parsed.GetValue(Epochs),
            Steps = parsed.GetValue(Steps),
            Device = parsed.GetValue(DeviceOption) ?? "auto",
            Precision = parsed.GetValue(PrecisionOption) ?? Precision.Auto,
            Graph = parsed.GetValue(GraphOption) == "on",
            Seed = parsed.GetValue(Seed),
            Resume = parsed.GetValue(Resume),
            SampleEvery = parsed.GetValue(SampleEvery) ?? defaults.SampleEvery,
            CheckpointEvery = parsed.GetValue(CheckpointEvery) ?? defaults.CheckpointEvery,
            EvalEvery = parsed.GetValue(EvalEvery),
            CommandLine = [.. parsed.Tokens.Select(t => t.Value)],
        };
    }

    /// <summary>Resolves the device and data, then trains. configure gets (device, synthetic data?) and
    /// returns the final common options, the image size and the recipe options as JSON.</summary>
    public static int Run(ParseResult parsed, TrainOptions common, string recipe, TextWriter output,
        Func<Device, bool, (TrainOptions, int, string)> configure)
    {
        common.Validate();
        if (common.Resume is null && common.Out is not null && RunFolder.HoldsRun(common.Out))
            throw new CheckpointException($"'{common.Out}' already holds a run; continue it with --resume {common.Out}, or choose another --out.");
        var device = DeviceChoice.Resolve(common.Device, output);
        string optionsJson;
        int size;
        int? resumedImages = null;
        if (common.Resume is not null)
            (common, size, optionsJson, resumedImages) = ResumeSettings(common, recipe, parsed);
        else
            (common, size, optionsJson) = configure(device, common.Data is null);
        common = common with { Precision = Precision.Resolve(common.Precision, device) };

        using var stop = new CancellationTokenSource();
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.Cancel(); });
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.Cancel(); });
        IImageDataset data;
        try
        {
            data = OpenData(common, size, output, stop.Token);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            output.WriteLine("interrupted while decoding the images: nothing trained, no cache written");
            return 1;
        }
        using var owned = data as IDisposable;
        if (resumedImages is int had && data.Count != had)
            throw new DataException($"--resume {common.Resume}: the run trained on {had} images, '{common.Data}' now gives {data.Count}; "
                + "resuming needs the same images (start a new run in another --out folder to train on these).");
        using var gan = Trainer.CreateRecipe(recipe, optionsJson, device, common.Seed);
        var outcome = Precision.Run(common.Precision, () => new Trainer(common, data, output).Run(gan, optionsJson, device, stop.Token));
        return outcome == TrainOutcome.Diverged ? 1 : 0;
    }

    /// <summary>Flags a resume may give: the run's length, and what belongs to this machine (device,
    /// precision, graph mode, where the data lives: the same images, checked by their count).
    /// Every other setting is the run's own.</summary>
    private static readonly Option[] FreeOnResume = [Resume, Steps, Epochs, DeviceOption, PrecisionOption, GraphOption, Data];

    /// <summary>A resumed run keeps its original settings (config.json); only the length and this
    /// machine's choices may change. Another recipe, or a flag that differs from the one the run was
    /// started with, is an error: silently training with the old value would surprise the user.</summary>
    private static (TrainOptions Options, int Size, string OptionsJson, int Images) ResumeSettings(TrainOptions flags, string recipe, ParseResult parsed)
    {
        var folder = new RunFolder(flags.Resume!);
        if (!File.Exists(folder.Config)) throw new CheckpointException($"--resume {flags.Resume}: no config.json there; is it a run folder?");
        string? savedRecipe, optionsJson;
        int size, images;
        TrainOptions saved;
        try
        {
            using var config = JsonDocument.Parse(File.ReadAllText(folder.Config));
            var root = config.RootElement;
            savedRecipe = root.GetProperty("recipe").GetString();
            optionsJson = root.GetProperty("options").GetRawText();
            size = root.GetProperty("options").GetProperty("Size").GetInt32();
            images = root.GetProperty("images").GetInt32();
            saved = root.GetProperty("train").Deserialize<TrainOptions>() ?? throw new JsonException("\"train\" is null");
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new CheckpointException($"--resume {flags.Resume}: {folder.Config} is damaged ({e.Message}); the run cannot be resumed.");
        }
        if (savedRecipe != recipe)
            throw new CheckpointException($"--resume {flags.Resume}: that folder holds a {savedRecipe} run; continue it with `rawgan train {savedRecipe} --resume {flags.Resume}`.");
        if (saved.CommandLine is not null) CheckSameFlags(parsed, saved.CommandLine, flags.Resume!);
        if (flags.Data is not null && saved.Data is null)
            throw new CheckpointException($"--resume {flags.Resume}: the run trained on the built-in synthetic faces; leave --data out to resume it.");
        // The precision and graph mode, like the device, are this run's choice: resuming on another machine works.
        // --epochs alone replaces the run's --steps: the run goes on to that many passes over the data.
        return (saved with { Resume = flags.Resume, Out = flags.Resume, Data = flags.Data ?? saved.Data,
                             Steps = flags.Steps ?? (flags.Epochs is null ? saved.Steps : null), Epochs = flags.Epochs ?? saved.Epochs,
                             Precision = flags.Precision, Graph = flags.Graph },
            size, optionsJson, images);
    }

    /// <summary>Throws when a flag given now has another value than when the run started (the same
    /// command line with --resume added passes).</summary>
    private static void CheckSameFlags(ParseResult now, string[] started, string folder)
    {
        var then = now.RootCommandResult.Command.Parse(started);
        var differing = new List<string>();
        foreach (var option in now.CommandResult.Command.Options)
        {
            if (FreeOnResume.Contains(option) || now.GetResult(option) is not { Implicit: false } given) continue;
            object? value = given.GetValueOrDefault<object?>();
            var before = then.GetResult(option);
            object? startedValue = before?.GetValueOrDefault<object?>();
            if (Equals(value, startedValue)) continue;
            string was = before is { Implicit: false } ? $"started with {option.Name} {startedValue}"
                       : before is null ? $"started without {option.Name}" : $"started with the default {startedValue}";
            differing.Add($"{option.Name} {value} ({was})");
        }
        if (differing.Count > 0)
            throw new CheckpointException($"--resume {folder} continues the run with the settings it started with (config.json), " +
                $"but {string.Join(", ", differing)}. Leave {(differing.Count == 1 ? "that flag" : "those flags")} out to resume, " +
                "or start a new run in another --out folder.");
    }

    private static IImageDataset OpenData(TrainOptions common, int size, TextWriter output, CancellationToken cancel)
    {
        if (common.Data is null)
        {
            output.WriteLine($"no --data: training on {SyntheticFaces.DefaultCount} built-in synthetic faces. " +
                             "For real faces, point --data at a folder of images, e.g. CelebA's img_align_celeba/.");
            return new SyntheticFaces(SyntheticFaces.DefaultCount, size, seed: (int)common.Seed);
        }
        var dataset = DataProgress.Open(new FolderOptions { Path = common.Data, Size = size, Crop = common.Crop }, output, cancel);
        return dataset;
    }
}
