using System.Diagnostics;
using System.Text.Json;
using RawGan.Data;
using RawGan.Recipes;
using RawGan.Training;

namespace RawGan.Tests;

/// <summary>
/// The CUDA backend's host copies (CudaBackend.HostCopies.cs): a read started with StartReadBack holds
/// the values of its place in the stream, lands in a reused pinned buffer and waits for its own copy
/// only; uploads staged through two pinned buffers in turn arrive intact however far ahead of the stream
/// they are queued; the trainer, one step in flight, pins nothing new once warm. Skips without a GPU.
/// </summary>
[Collection(nameof(CudaGpu))]
public class CudaHostCopyTests
{
    [Fact]
    public void StartReadBack_GivesTheValuesOfItsPlaceInTheStream()
    {
        CudaGpu.Require();
        using var scope = new TensorScope();
        var values = Enumerable.Range(0, 1000).Select(i => (float)Math.Sin(i)).ToArray();
        var x = Tensor.FromArray(values, [10, 100], Device.Cuda);
        using var read = x.StartReadBack();
        using var transposed = x.Transpose(0, 1).StartReadBack();
        x.Fill(7);
        Assert.Equal(values.Select(v => (double)v), read.Wait());
        Assert.Equal(Tensor.FromArray(values, [10, 100]).Transpose(0, 1).ToDoubleArray(), transposed.Wait());
        Assert.All(x.StartReadBack().Wait(), v => Assert.Equal(7.0, v));
    }

    [Fact]
    public void Wait_WaitsForItsOwnCopy_NotForWorkQueuedAfterIt()
    {
        var cuda = CudaGpu.RequireRealGpu("a read's wait beside tens of milliseconds of products queued after it");
        using var scope = new TensorScope();
        var small = Tensor.FromArray([1f, 2f], [2], Device.Cuda);
        var a = Tensor.Rand([4096, 4096], new Generator(1), device: Device.Cuda);
        cuda.Synchronize();
        using var read = small.StartReadBack();
        QueueProducts(a, 30); // tens of milliseconds of work behind the read

        var clock = Stopwatch.StartNew();
        Assert.Equal([1.0, 2.0], read.Wait());
        double waited = clock.Elapsed.TotalMilliseconds;
        clock.Restart();
        cuda.Synchronize();
        double rest = clock.Elapsed.TotalMilliseconds;
        Assert.True(rest > 5 && rest > 10 * waited,
            $"Wait took {waited:F2} ms and the products queued after the read {rest:F2} ms more: the wait was not for the read alone");
    }

    [Fact]
    public void PinnedBuffers_AreReused_ByUploadsAndReads_OneReadInFlight()
    {
        var cuda = CudaGpu.Require();
        var batch = new float[64 * 3 * 32 * 32];
        PendingRead? inFlight = null;
        void Step()
        {
            using var scope = new TensorScope();
            var real = Tensor.FromArray(batch, [batch.Length], Device.Cuda);
            var read = real.Sum().StartReadBack();
            real.Mean().StartReadBack().Dispose(); // given up: its buffer is reused once its copy has landed
            inFlight?.Wait();
            inFlight = read;
        }
        for (int i = 0; i < 3; i++) Step();
        int pinned = cuda.PinnedAllocations;
        for (int i = 0; i < 50; i++) Step();
        inFlight?.Wait();
        Assert.Equal(pinned, cuda.PinnedAllocations);
    }

    [Fact]
    public void Uploads_QueuedFarAheadOfTheStream_ArriveIntact_ThroughGrowingStagingBuffers()
    {
        CudaGpu.RequireRealGpu("uploads staged while the stream is still busy with earlier products");
        using var scope = new TensorScope();
        var a = Tensor.Rand([4096, 4096], new Generator(1), device: Device.Cuda);
        QueueProducts(a, 10); // the copies wait behind these while the host stages the next uploads
        int[] sizes = [1000, 1000, 300_000, 5, 2_000_000, 7, 300_001];
        var sources = sizes.Select((n, k) => Enumerable.Range(0, n).Select(i => (float)(k * 10_000_000 + i)).ToArray()).ToArray();
        var uploaded = sources.Select(s => Tensor.FromArray(s, [s.Length], Device.Cuda)).ToArray();
        for (int k = 0; k < sources.Length; k++)
            Assert.True(sources[k].AsSpan().SequenceEqual(uploaded[k].ToFloatArray()), $"upload {k} ({sizes[k]} floats) arrived changed");
    }

    [Fact]
    public void UInt8Upload_GivesTheCpusFloats_BitForBit()
    {
        CudaGpu.Require();
        using var scope = new TensorScope();
        var values = Images.PixelRange.MinusOneToOne.ByteValues();
        var random = new Random(5);
        // Odd lengths run the kernel's scalar tail; a destination at an odd offset, its scalar path.
        foreach (int n in new[] { 0, 1, 3, 4, 5, 1000, 300_001, 2_000_003 })
        {
            var bytes = new byte[n];
            random.NextBytes(bytes);
            var expected = Tensor.FromUInt8(bytes, [n], values).ToFloatArray();
            Assert.Equal(expected, Tensor.FromUInt8(bytes, [n], values, Device.Cuda).ToFloatArray());
            var buffer = Tensor.Zeros([n + 1], device: Device.Cuda);
            var shifted = buffer.Slice(0, 1, n + 1);
            shifted.Backend.CopyFromHostUInt8(shifted, bytes, values);
            Assert.Equal([0f, .. expected], buffer.ToFloatArray());
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Trainer_KeepsOneStepInFlight_AndPinsNothingNewOnceWarm(bool graph)
    {
        var cuda = CudaGpu.Require();
        var run = Directory.CreateTempSubdirectory("rawgan-cuda-pipeline-").FullName;
        try
        {
            string json = JsonSerializer.Serialize(new DcganOptions { Size = 32, Nz = 8, Ngf = 8, Ndf = 8 });
            using var inner = Trainer.CreateRecipe("dcgan", json, Device.Cuda, seed: 0);
            var pinned = new List<int>();
            using var recipe = new Watched(inner, () => pinned.Add(cuda.PinnedAllocations));
            var options = new TrainOptions { Out = run, Batch = 8, Steps = 8, SampleEvery = 4, CheckpointEvery = 100, Graph = graph };
            var outcome = new Trainer(options, new SyntheticFaces(64, 32), new StringWriter()).Run(recipe, json, Device.Cuda, CancellationToken.None);

            Assert.Equal(TrainOutcome.Finished, outcome);
            // Launches 5 to 8: after the first steps, the graph's capture and step 4's samples, every buffer has its size.
            Assert.Equal(8, pinned.Count);
            Assert.All(pinned[4..], count => Assert.Equal(pinned[4], count));
            var lines = File.ReadAllLines(Path.Combine(run, "metrics.jsonl"));
            Assert.Equal(8, lines.Length);
            Assert.All(lines, line => Assert.True(double.IsFinite(JsonDocument.Parse(line).RootElement.GetProperty("loss_D").GetDouble()), line));
            Assert.True(File.Exists(Path.Combine(run, "samples", "step-000004.png")));
            Assert.True(File.Exists(Path.Combine(run, "checkpoints", "step-000008.safetensors")));
        }
        finally
        {
            Directory.Delete(run, recursive: true);
        }
    }

    private static void QueueProducts(Tensor a, int count)
    {
        for (int i = 0; i < count; i++)
            using (new TensorScope()) a.Matmul(a);
    }

    /// <summary>A recipe that reports each launch (StartEpoch runs before every step, replayed ones included).</summary>
    private sealed class Watched(IGanRecipe inner, Action onLaunch) : IGanRecipe
    {
        public string Name => inner.Name;
        public Generator Noise => inner.Noise;
        public IReadOnlyList<(string Name, Nn.Module Module)> Modules => inner.Modules;
        public IReadOnlyList<(string Name, Optim.Optimizer Optimizer)> Optimizers => inner.Optimizers;
        public IReadOnlyList<string> MetricNames => inner.MetricNames;
        public bool Capturable => inner.Capturable;
        public void StartEpoch(int epoch) => onLaunch();
        public IReadOnlyList<Tensor> Step(Tensor real) => inner.Step(real);
        public Tensor SampleLatent(int count, Generator generator) => inner.SampleLatent(count, generator);
        public Tensor Generate(Tensor z) => inner.Generate(z);
        public void Dispose() { }
    }
}
