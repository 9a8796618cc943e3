using System.Diagnostics;
using System.Text.Json;
using RawGan.Checkpoints;
using RawGan.Data;
using RawGan.Images;
using RawGan.Recipes;

namespace RawGan.Training;

/// <summary>How a run ended; the CLI maps it to an exit code.</summary>
public enum TrainOutcome { Finished, Interrupted, Diverged }

/// <summary>
/// The training loop every recipe shares: batches in, one recipe step each, metrics out, and on
/// schedule sample grids, monitor.png and checkpoints. Resuming restores networks, optimizers,
/// the noise stream and the loader position, so a resumed run equals one that never stopped.
/// </summary>
public sealed class Trainer(TrainOptions options, IImageDataset data, TextWriter log)
{
    private const int GridCount = 64;

    /// <summary>Builds the named recipe from its options with the run's seeds.</summary>
    public static IGanRecipe CreateRecipe(string name, string optionsJson, Device device, ulong seed) =>
        RecipeCatalog.Create(name, optionsJson, device, new Generator(Seeds.Init(seed)), new Generator(Seeds.Noise(seed)));

    public TrainOutcome Run(IGanRecipe recipe, string recipeOptionsJson, Device device, CancellationToken stop)
    {
        // First: --graph on's checks (a GPU, a capturable recipe) fail before the run folder is made.
        using var graphed = options.Graph ? new GraphedSteps(recipe, device) : null;
        string recipeName = recipe.Name;
        var folder = new RunFolder(options.Out ?? options.Resume ?? RunFolder.DefaultPath(recipeName));
        long step = 0;
        var position = new LoaderPosition(0, 0);
        var noise = recipe.Noise;

        var resumeFrom = options.Resume is null ? null : folder.NewestCheckpoint()
            ?? throw new CheckpointException($"--resume {options.Resume}: no checkpoint in {folder.Checkpoints}");
        if (resumeFrom is not null)
        {
            var (file, info) = Checkpoint.Read(resumeFrom);
            Checkpoint.Restore(file, recipe, resumeFrom);
            (step, position) = (info.Step, info.Loader);
            noise.SetOffset(info.NoiseOffset);
            folder.TruncateMetrics(step);
            log.WriteLine($"resumed from {resumeFrom} at step {step} ({position})");
        }
        else
        {
            folder.WriteConfig(new { recipe = recipeName, options = JsonDocument.Parse(recipeOptionsJson).RootElement, train = options,
                device = device.ToString(), version = typeof(Trainer).Assembly.GetName().Version?.ToString(3), images = data.Count });
        }

        using var loader = new BatchLoader(data, new BatchLoaderOptions { BatchSize = options.Batch, Seed = (int)options.Seed, Range = recipe.DataRange }, position);
        long total = options.Steps ?? (long)(options.Epochs ?? 20) * loader.BatchesPerEpoch;
        string precision = device == Device.Cpu && options.Precision == Precision.Bf16 ? "bf16 products (emulated on the CPU: slower than fp32)" : $"{options.Precision} products";
        log.WriteLine($"training {recipeName} on {device} with {precision}: {data.Count} images of {data.Size}x{data.Size}, batch {options.Batch}, " +
                      $"{loader.BatchesPerEpoch} steps per epoch, {total} steps; run folder {folder.Root}");

        var fixedZ = recipe.SampleLatent(GridCount, new Generator(Seeds.FixedSamples(options.Seed))).DetachFromScope();
        // --eval-every: SWD of G against the training data every N steps (Eval/TrainingEval.cs).
        var eval = options.EvalEvery is int evalEvery ? new Eval.TrainingEval(data, evalEvery, options.Seed) : null;
        var history = RunFolder.ReadHistory(folder.Metrics, [.. recipe.MetricNames, .. eval?.Names ?? []]);
        eval?.FillGaps(history);
        var progress = new ProgressLine(log, interactive: !Console.IsOutputRedirected && ReferenceEquals(log, Console.Out));
        var clock = Stopwatch.StartNew();
        long startStep = step;
        int collapseRun = 0;
        bool collapseWarned = false;
        string? lastCheckpoint = resumeFrom;

        while (step < total)
        {
            if (stop.IsCancellationRequested)
            {
                progress.Break();
                lastCheckpoint = SaveCheckpoint(folder, recipe, recipeName, recipeOptionsJson, step, loader.Position, noise);
                log.WriteLine($"interrupted at step {step}: checkpoint {lastCheckpoint}; continue with --resume {folder.Root}");
                return TrainOutcome.Interrupted;
            }

            recipe.StartEpoch((int)(step / loader.BatchesPerEpoch));
            var stepClock = Stopwatch.StartNew();
            double[] values;
            using (new TensorScope())
            {
                using var batch = loader.Next();
                var real = Tensor.FromArray(batch.Data, [batch.Count, batch.Channels, batch.Size, batch.Size], device);
                var metrics = graphed?.Step(real) ?? recipe.Step(real);
                values = F.Concat([.. metrics.Select(m => m.Reshape(1))], 0).ToDoubleArray();
            }
            step++;
            double seconds = stepClock.Elapsed.TotalSeconds;

            for (int i = 0; i < values.Length; i++)
            {
                if (double.IsFinite(values[i])) continue;
                progress.Break();
                log.WriteLine($"error: {recipe.MetricNames[i]} is {values[i]} at step {step}: training diverged and was stopped. " +
                              (lastCheckpoint is null ? "No checkpoint was written yet." : $"The last good checkpoint is {lastCheckpoint}."));
                return TrainOutcome.Diverged;
            }
            recipe.AfterStep(values);

            int epoch = (int)((step - 1) / loader.BatchesPerEpoch);
            var fields = new List<(string, double)> { ("step", step), ("epoch", epoch) };
            fields.AddRange(recipe.MetricNames.Zip(values));
            fields.AddRange([("lr", recipe.Optimizers[0].Optimizer.LearningRate), ("seconds_per_step", seconds), ("images_per_s", options.Batch / seconds)]);
            if (eval is not null) fields.AddRange(eval.AfterStep(step, recipe, history));
            File.AppendAllLines(folder.Metrics, [RunFolder.MetricsLine(fields)]);
            history["step"].Add(step);
            for (int i = 0; i < values.Length; i++) history[recipe.MetricNames[i]].Add(values[i]);

            collapseRun = recipe.DWinsOutright(values) ? collapseRun + 1 : 0;
            if (collapseRun >= options.CollapsePatience && !collapseWarned)
            {
                progress.Break();
                log.WriteLine($"warning: D's loss < 0.05 and G's loss > 5 for {collapseRun} steps (step {step}): the generator may have collapsed; look at the samples");
                collapseWarned = true;
            }

            double rate = (step - startStep) / clock.Elapsed.TotalSeconds;
            progress.Update($"epoch {epoch + 1} step {step}/{total} " +
                            string.Join(" ", recipe.MetricNames.Zip(values, (n, v) => $"{n} {v:F3}")) +
                            $" {rate * options.Batch:F0} img/s ETA {ProgressLine.Eta(TimeSpan.FromSeconds((total - step) / Math.Max(rate, 1e-9)))}");

            bool last = step == total;
            if (step % options.SampleEvery == 0 || last)
            {
                SaveSamples(recipe, fixedZ, folder.SamplePath(step));
                MonitorPlot.Save(folder.Monitor, history["step"], [.. recipe.MonitorPanels, .. eval?.Panels ?? []], history);
                using (new TensorScope())
                    recipe.SaveExtras(folder, step, FixedRealBatch(data, recipe.DataRange, device));
            }
            if (step % options.CheckpointEvery == 0 || last)
            {
                lastCheckpoint = SaveCheckpoint(folder, recipe, recipeName, recipeOptionsJson, step, loader.Position, noise);
                folder.PruneCheckpoints(options.KeepCheckpoints);
            }
        }
        progress.Break();
        log.WriteLine($"done: {step} steps in {clock.Elapsed.TotalSeconds:F0} s; samples in {folder.Samples}, last checkpoint {lastCheckpoint}");
        return TrainOutcome.Finished;
    }

    private static string SaveCheckpoint(RunFolder folder, IGanRecipe recipe, string name, string optionsJson, long step, LoaderPosition position, Generator noise)
    {
        var path = folder.CheckpointPath(step);
        Checkpoint.Save(path, recipe, new CheckpointInfo(name, optionsJson, step, position, noise.Seed, noise.Offset));
        return path;
    }

    public static void SaveSamples(IGanRecipe recipe, Tensor z, string path)
    {
        using var scope = new TensorScope();
        var images = recipe.Generate(z);
        ImageGrid.Save(path, images.ToFloatArray(), images.Shape[0], images.Shape[1], images.Shape[2], images.Shape[3], recipe.DataRange, nrow: 8);
    }

    /// <summary>The first images of the data set, always the same, for recipes' reconstruction grids.</summary>
    private static Tensor FixedRealBatch(IImageDataset data, PixelRange range, Device device)
    {
        int n = Math.Min(GridCount / 2, data.Count), size = data.Size;
        var pixels = new byte[size * size * 3];
        var nchw = new float[n * 3 * size * size];
        for (int i = 0; i < n; i++)
        {
            data.GetImage(i, pixels);
            range.ToPlanes(pixels, nchw.AsSpan(i * pixels.Length, pixels.Length));
        }
        return Tensor.FromArray(nchw, [n, 3, size, size], device);
    }

}
