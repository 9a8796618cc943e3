using System.Globalization;
using System.Text.Json;
using RawGan.Data;
using RawGan.Optim;
using RawGan.Recipes;
using RawGan.Serialization;

namespace RawGan.Checkpoints;

/// <summary>
/// A checkpoint is one safetensors file: every network's state dict under its name ("G.main.0.weight"),
/// every optimizer's state ("optim.D.state.0.exp_avg"), and in the JSON metadata the recipe, its
/// options, the step, the noise generator's offset and the data loader's position: everything a
/// resumed run needs to continue exactly as if it had never stopped.
/// </summary>
/// <param name="PendingMetrics">The metrics of step <paramref name="Step"/> that the recipe's AfterStep
/// has not seen yet: the training loop passes each step's metrics to it only after launching the next
/// step (Trainer), so a resumed run passes these after its first step. Null at step 0, and in checkpoints
/// written before that rule, whose AfterStep had seen them.</param>
public sealed record CheckpointInfo(string Recipe, string OptionsJson, long Step, LoaderPosition Loader, ulong NoiseSeed, ulong NoiseOffset,
    double[]? PendingMetrics = null);

public static class Checkpoint
{
    public const string Format = "rawgan-checkpoint-1";

    public static void Save(string path, IGanRecipe recipe, CheckpointInfo info)
    {
        var file = new SafeTensorsFile();
        foreach (var (name, module) in recipe.Modules)
            foreach (var (key, tensor) in module.StateDict())
                Add(file, $"{name}.{key}", tensor);
        foreach (var (name, optimizer) in recipe.Optimizers)
        {
            var state = optimizer.StateDict();
            foreach (var (key, tensor) in state.Tensors)
                Add(file, $"optim.{name}.{key}", tensor);
            file.Metadata[$"optim.{name}"] = JsonSerializer.Serialize(new SavedOptimizer(state.Algorithm, state.Scalars));
        }
        file.Metadata["format"] = Format;
        file.Metadata["recipe"] = info.Recipe;
        file.Metadata["options"] = info.OptionsJson;
        file.Metadata["step"] = info.Step.ToString(CultureInfo.InvariantCulture);
        file.Metadata["loader_epoch"] = info.Loader.Epoch.ToString(CultureInfo.InvariantCulture);
        file.Metadata["loader_batch"] = info.Loader.Batch.ToString(CultureInfo.InvariantCulture);
        file.Metadata["noise_seed"] = info.NoiseSeed.ToString(CultureInfo.InvariantCulture);
        file.Metadata["noise_offset"] = info.NoiseOffset.ToString(CultureInfo.InvariantCulture);
        if (info.PendingMetrics is not null) file.Metadata["pending_metrics"] = JsonSerializer.Serialize(info.PendingMetrics);
        file.Write(path);
    }

    /// <summary>Reads and validates the metadata; the file is untrusted, so every field is checked.</summary>
    public static (SafeTensorsFile File, CheckpointInfo Info) Read(string path)
    {
        if (!File.Exists(path)) throw new CheckpointException($"checkpoint '{path}' does not exist");
        var file = SafeTensorsFile.Read(path);
        string Meta(string key) => file.Metadata.TryGetValue(key, out var v)
            ? v : throw new CheckpointException($"checkpoint '{path}' has no '{key}' in its metadata: not a RawGan checkpoint?");
        T Number<T>(string key) where T : IParsable<T> => T.TryParse(Meta(key), CultureInfo.InvariantCulture, out var v)
            ? v : throw new CheckpointException($"checkpoint '{path}': metadata '{key}' is not a number");
        if (Meta("format") != Format)
            throw new CheckpointException($"checkpoint '{path}' has format '{Meta("format")}', this RawGan reads '{Format}'");
        var info = new CheckpointInfo(Meta("recipe"), Meta("options"), Number<long>("step"),
            new LoaderPosition(Number<int>("loader_epoch"), Number<int>("loader_batch")),
            Number<ulong>("noise_seed"), Number<ulong>("noise_offset"), PendingMetrics(file, path));
        if (info.Step < 0) throw new CheckpointException($"checkpoint '{path}': negative step");
        return (file, info);
    }

    private static double[]? PendingMetrics(SafeTensorsFile file, string path)
    {
        if (!file.Metadata.TryGetValue("pending_metrics", out var json)) return null;
        try
        {
            return JsonSerializer.Deserialize<double[]>(json) ?? throw new JsonException("null");
        }
        catch (JsonException)
        {
            throw new CheckpointException($"checkpoint '{path}': metadata 'pending_metrics' is not a list of numbers");
        }
    }

    private sealed record SavedOptimizer(string Algorithm, IReadOnlyDictionary<string, double> Scalars);

    /// <summary>The recipe a checkpoint was saved from, with its weights (for sample, invert, interpolate
    /// and eval). <paramref name="path"/> is a checkpoint file, or a run folder: its newest checkpoint.</summary>
    public static (IGanRecipe Recipe, CheckpointInfo Info, string File) Load(string path, Device device)
    {
        string file = File.Exists(path) || !Directory.Exists(path) ? path
            : new Training.RunFolder(path).NewestCheckpoint()
              ?? throw new CheckpointException($"'{path}' is a folder without checkpoints/step-*.safetensors; pass a checkpoint file or a run folder.");
        var (contents, info) = Read(file);
        var recipe = RecipeCatalog.Create(info.Recipe, info.OptionsJson, device, new Generator(0), new Generator(0));
        try
        {
            Restore(contents, recipe, file);
        }
        catch
        {
            recipe.Dispose();
            throw;
        }
        return (recipe, info, file);
    }

    /// <summary>Loads networks and optimizer state into a recipe built with the checkpoint's options.</summary>
    public static void Restore(SafeTensorsFile file, IGanRecipe recipe, string path)
    {
        var device = recipe.Modules[0].Module.Parameters().First().Device;
        try
        {
            foreach (var (name, module) in recipe.Modules)
                module.LoadStateDict(Collect(file, name + ".", device, path), strict: true);
            foreach (var (name, optimizer) in recipe.Optimizers)
            {
                if (!file.Metadata.TryGetValue($"optim.{name}", out var json))
                    throw new CheckpointException($"checkpoint '{path}' has no state for optimizer {name}");
                var saved = JsonSerializer.Deserialize<SavedOptimizer>(json)
                    ?? throw new CheckpointException($"checkpoint '{path}': optimizer {name} state is empty");
                optimizer.LoadStateDict(new OptimizerState(saved.Algorithm, saved.Scalars, Collect(file, $"optim.{name}.", device, path)));
            }
        }
        catch (Exception e) when (e is JsonException or ArgumentException or InvalidOperationException)
        {
            throw new CheckpointException($"checkpoint '{path}' does not fit this {recipe.Name} model: {e.Message}");
        }
    }

    private static Dictionary<string, Tensor> Collect(SafeTensorsFile file, string prefix, Device device, string path)
    {
        var dict = new Dictionary<string, Tensor>();
        foreach (var entry in file.Entries)
        {
            if (!entry.Name.StartsWith(prefix, StringComparison.Ordinal)) continue;
            var data = entry.DType switch
            {
                SafeTensorsDType.F32 => Tensor.FromArray(entry.ToFloatArray(), entry.Shape, device),
                // On the host, which stores float64 (CUDA does not); CopyFrom converts it for its tensor.
                SafeTensorsDType.F64 => Tensor.FromArray(entry.ToDoubleArray(), entry.Shape),
                _ => throw new CheckpointException($"checkpoint '{path}': tensor {entry.Name} has dtype {entry.DType}, expected F32 or F64"),
            };
            dict[entry.Name[prefix.Length..]] = data;
        }
        return dict;
    }

    private static void Add(SafeTensorsFile file, string name, Tensor tensor)
    {
        if (tensor.DType == DType.Float32) file.Add(name, tensor.ToFloatArray(), tensor.Shape);
        else file.Add(name, tensor.ToDoubleArray(), tensor.Shape);
    }
}

public sealed class CheckpointException(string message) : Exception(message);
