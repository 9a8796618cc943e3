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
/// One step is kept in flight (<see cref="LaunchedStep"/>): the GPU works on a step while the host
/// records the one before, instead of idling through each read-back and the bookkeeping after it.
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
        var folder = RunFolder.Create(options.Out ?? options.Resume ?? RunFolder.DefaultPath(recipeName));
        long step = 0;
        var position = new LoaderPosition(0, 0);
        var noise = recipe.Noise;
        double[]? unseen = null; // metrics of the last recorded step that recipe.AfterStep has not seen yet

        var resumeFrom = options.Resume is null ? null : folder.NewestCheckpoint()
            ?? throw new CheckpointException($"--resume {options.Resume}: no checkpoint in {folder.Checkpoints}");
        if (resumeFrom is not null)
        {
            var (file, info) = Checkpoint.Read(resumeFrom);
            Checkpoint.Restore(file, recipe, resumeFrom);
            if (info.PendingMetrics is { } pending && pending.Length != recipe.MetricNames.Count)
                throw new CheckpointException($"checkpoint '{resumeFrom}' holds {pending.Length} pending metrics, the {recipeName} recipe has {recipe.MetricNames.Count}");
            (step, position, unseen) = (info.Step, info.Loader, info.PendingMetrics);
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

        using var fixedZ = recipe.SampleLatent(GridCount, new Generator(Seeds.FixedSamples(options.Seed))).DetachFromScope();
        // --eval-every: SWD of G against the training data every N steps (Eval/TrainingEval.cs).
        var eval = options.EvalEvery is int evalEvery ? new Eval.TrainingEval(data, evalEvery, options.Seed) : null;
        var history = RunFolder.ReadHistory(folder.Metrics, [.. recipe.MetricNames, .. eval?.Names ?? []]);
        eval?.FillGaps(history);
        var progress = new ProgressLine(log, interactive: !Console.IsOutputRedirected && ReferenceEquals(log, Console.Out));
        var clock = Stopwatch.StartNew();
        // seconds_per_step: from the end of the previous step (or of its samples and checkpoint) to the end of this one.
        long lastDone = Stopwatch.GetTimestamp();
        long startStep = step;
        int collapseRun = 0;
        bool collapseWarned = false;
        string? lastCheckpoint = resumeFrom;

        // One step in flight: step k is launched before step k-1's metrics are waited for and recorded, so
        // the host's bookkeeping overlaps the device's work on step k. What needs the state after step k
        // (samples, checkpoints, --eval-every, the last step) waits for step k before launching k+1; an
        // interruption waits for the step in flight and checkpoints after it; a non-finite metric of step
        // k-1 stops the run and step k is dropped unrecorded, as if never taken.
        // recipe.AfterStep sees step j's metrics after step j+1 was launched, whether or not step j was
        // waited for early, so its effect (BEGAN's learning-rate plateau) lands at step j+2 in every run.
        // A checkpoint after step j keeps step j's metrics as pending, and a run resumed from it passes
        // them on after launching step j+1, as the run that never stopped did.
        if (step >= total)
            log.WriteLine($"the run is already at step {step} of {total}: nothing to train; give a larger --steps or --epochs to go on");
        LaunchedStep? inFlight = null;
        try
        {
            while (step < total)
            {
                if (stop.IsCancellationRequested)
                {
                    if (inFlight is not null && !Finish(inFlight, out unseen)) return TrainOutcome.Diverged;
                    progress.Break();
                    if (step > startStep) SaveSamplesAndMonitor();  // the run's state at its end, as a finished run shows it
                    lastCheckpoint = SaveCheckpoint(folder, recipe, recipeName, recipeOptionsJson, step, loader.Position, noise, unseen);
                    log.WriteLine($"interrupted at step {step}: checkpoint {lastCheckpoint}; continue with --resume {folder.Root}");
                    return TrainOutcome.Interrupted;
                }

                recipe.StartEpoch((int)(step / loader.BatchesPerEpoch));
                var previous = inFlight;
                inFlight = LaunchedStep.Launch(++step, recipe, graphed, loader, device);
                if (previous is not null && !Finish(previous, out unseen)) return TrainOutcome.Diverged;
                if (unseen is not null) recipe.AfterStep(unseen);
                unseen = null;

                bool last = step == total;
                bool sample = step % options.SampleEvery == 0 || last, checkpoint = step % options.CheckpointEvery == 0 || last;
                if (!sample && !checkpoint && eval?.Due(step) != true) continue;
                var current = inFlight;
                inFlight = null;
                if (!Finish(current, out unseen)) return TrainOutcome.Diverged;
                if (sample) SaveSamplesAndMonitor();
                if (checkpoint)
                {
                    lastCheckpoint = SaveCheckpoint(folder, recipe, recipeName, recipeOptionsJson, step, loader.Position, noise, unseen);
                    folder.PruneCheckpoints(options.KeepCheckpoints);
                }
                lastDone = Stopwatch.GetTimestamp();
            }
        }
        finally
        {
            inFlight?.Dispose();
        }
        progress.Break();
        log.WriteLine($"done: {step} steps in {clock.Elapsed.TotalSeconds:F0} s; samples in {folder.Samples}, last checkpoint {lastCheckpoint}");
        return TrainOutcome.Finished;

        void SaveSamplesAndMonitor()
        {
            SaveSamples(recipe, fixedZ, folder.SamplePath(step));
            MonitorPlot.Save(folder.Monitor, history["step"], [.. recipe.MonitorPanels, .. eval?.Panels ?? []], history);
            using (new TensorScope())
                recipe.SaveExtras(folder, step, FixedRealBatch(data, recipe.DataRange, device));
        }

        // Waits for a launched step's metrics and records them: metrics.jsonl, the history, the progress line,
        // the collapse watch. False when one is not finite: the run stops with a message naming that step.
        bool Finish(LaunchedStep launched, out double[] values)
        {
            using (launched) values = launched.Wait();
            double seconds = Stopwatch.GetElapsedTime(lastDone, launched.DoneAt).TotalSeconds;
            lastDone = launched.DoneAt;
            long n = launched.Step;
            for (int i = 0; i < values.Length; i++)
            {
                if (double.IsFinite(values[i])) continue;
                progress.Break();
                log.WriteLine($"error: {recipe.MetricNames[i]} is {values[i]} at step {n}: training diverged and was stopped. " +
                              (lastCheckpoint is null ? "No checkpoint was written yet." : $"The last good checkpoint is {lastCheckpoint}."));
                return false;
            }

            int epoch = (int)((n - 1) / loader.BatchesPerEpoch);
            var fields = new List<(string, double)> { ("step", n), ("epoch", epoch) };
            fields.AddRange(recipe.MetricNames.Zip(values));
            fields.AddRange([("lr", launched.LearningRate), ("seconds_per_step", seconds), ("images_per_s", options.Batch / seconds)]);
            if (eval is not null) fields.AddRange(eval.AfterStep(n, recipe, history));
            File.AppendAllLines(folder.Metrics, [RunFolder.MetricsLine(fields)]);
            history["step"].Add(n);
            for (int i = 0; i < values.Length; i++) history[recipe.MetricNames[i]].Add(values[i]);

            collapseRun = recipe.DWinsOutright(values) ? collapseRun + 1 : 0;
            if (collapseRun >= options.CollapsePatience && !collapseWarned)
            {
                progress.Break();
                log.WriteLine($"warning: D's loss < 0.05 and G's loss > 5 for {collapseRun} steps (step {n}): the generator may have collapsed; look at the samples");
                collapseWarned = true;
            }

            double rate = (n - startStep) / clock.Elapsed.TotalSeconds;
            progress.Update($"epoch {epoch + 1} step {n}/{total} " +
                            string.Join(" ", recipe.MetricNames.Zip(values, (name, v) => $"{name} {v:F3}")) +
                            $" {rate * options.Batch:F0} img/s ETA {ProgressLine.Eta((total - n) / Math.Max(rate, 1e-9))}");
            return true;
        }
    }

    private static string SaveCheckpoint(RunFolder folder, IGanRecipe recipe, string name, string optionsJson, long step, LoaderPosition position,
        Generator noise, double[]? pendingMetrics)
    {
        var path = folder.CheckpointPath(step);
        Checkpoint.Save(path, recipe, new CheckpointInfo(name, optionsJson, step, position, noise.Seed, noise.Offset, pendingMetrics));
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
