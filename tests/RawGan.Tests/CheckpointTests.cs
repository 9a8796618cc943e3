using System.Text.Json;
using RawGan.Checkpoints;
using RawGan.Data;
using RawGan.Recipes;
using RawGan.Serialization;
using RawGan.Training;

namespace RawGan.Tests;

public class CheckpointTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rawgan-ckpt-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly string TinyOptions = JsonSerializer.Serialize(new DcganOptions { Size = 32, Nz = 8, Ngf = 4, Ndf = 4 });

    private string TrainedCheckpoint()
    {
        var options = new TrainOptions { Out = Path.Combine(_dir, "run"), Batch = 8, Steps = 2 };
        using var recipe = Trainer.CreateRecipe("dcgan", TinyOptions, Device.Cpu, seed: 1);
        new Trainer(options, new SyntheticFaces(32, 32), new StringWriter()).Run(recipe, TinyOptions, Device.Cpu, CancellationToken.None);
        return Path.Combine(_dir, "run", "checkpoints", "step-000002.safetensors");
    }

    [Fact]
    public void RoundTrip_RestoresNetworks_OptimizerState_AndPosition()
    {
        var path = TrainedCheckpoint();
        var (file, info) = Checkpoint.Read(path);
        Assert.Equal(("dcgan", 2L), (info.Recipe, info.Step));
        using var restored = Trainer.CreateRecipe("dcgan", info.OptionsJson, Device.Cpu, seed: 99);
        Checkpoint.Restore(file, restored, path);

        var copy = Path.Combine(_dir, "copy.safetensors");
        Checkpoint.Save(copy, restored, info);
        var a = SafeTensorsFile.Read(path);
        var b = SafeTensorsFile.Read(copy);
        foreach (var entry in a.Entries)
            Assert.True(entry.Data.AsSpan().SequenceEqual(b[entry.Name].Data), $"{entry.Name} changed in a save/restore/save round trip");
        Assert.Equal(a.Metadata, b.Metadata);
    }

    [Fact]
    public void CorruptedOrTruncatedCheckpoints_FailWithAClearError_NeverACrash()
    {
        var bytes = File.ReadAllBytes(TrainedCheckpoint());
        var rng = new Random(5);
        var target = Path.Combine(_dir, "bad.safetensors");
        int truncatedRefused = 0, headerRefused = 0, headerTrials = 0;
        for (int trial = 0; trial < 300; trial++)
        {
            var corrupt = (byte[])bytes.Clone();
            bool truncated = trial % 3 == 0, inHeader = !truncated && trial % 2 == 0;
            if (truncated) corrupt = corrupt[..rng.Next(corrupt.Length)];
            else for (int k = 0; k < 1 + trial % 5; k++) corrupt[rng.Next(Math.Min(corrupt.Length, inHeader ? 2048 : corrupt.Length))] ^= (byte)(1 + rng.Next(255));
            headerTrials += inHeader ? 1 : 0;
            File.WriteAllBytes(target, corrupt);
            try
            {
                var (file, info) = Checkpoint.Read(target);
                using var recipe = Trainer.CreateRecipe(info.Recipe, info.OptionsJson, Device.Cpu, 0);
                Checkpoint.Restore(file, recipe, target);
            }
            catch (Exception e) when (e is CheckpointException or SafeTensorsFormatException)
            {
                Assert.False(string.IsNullOrWhiteSpace(e.Message));
                truncatedRefused += truncated ? 1 : 0;
                headerRefused += inHeader ? 1 : 0;
            }
        }
        // Flipped bytes in the tensors' data load (safetensors has no checksum), but a file cut short
        // never does, and nearly every flip in the first 2 KB (the JSON header) breaks it (all 100 here).
        Assert.Equal(100, truncatedRefused);
        Assert.True(headerRefused >= headerTrials * 9 / 10, $"{headerRefused} of {headerTrials} files with a damaged header were refused");
    }

    [Fact]
    public void NotACheckpoint_IsNamedAsSuch()
    {
        var path = Path.Combine(_dir, "plain.safetensors");
        var file = new SafeTensorsFile();
        file.Add("w", [1f, 2f], [2]);
        file.Write(path);
        var e = Assert.Throws<CheckpointException>(() => Checkpoint.Read(path));
        Assert.Contains("not a RawGan checkpoint", e.Message);
    }
}
