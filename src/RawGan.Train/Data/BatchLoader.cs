using System.Collections.Concurrent;
using System.Diagnostics;

namespace RawGan.Data;

/// <summary>
/// Hands out shuffled batches of NCHW images (bytes; <see cref="Batch.ToTensor"/> makes floats), prepared ahead on background threads so the
/// trainer does not wait. Each epoch is a fresh permutation fixed by (seed, epoch); the last
/// incomplete batch is dropped. Batch k of epoch e holds the same images, flipped the same way,
/// however the loader was started, so a run resumed from <see cref="Position"/> continues exactly.
/// One thread calls <see cref="Next"/>.
/// </summary>
public sealed class BatchLoader : IDisposable
{
    readonly IImageDataset data;
    readonly BatchLoaderOptions options;
    readonly float[] byteValues;
    readonly Thread[] workers;
    readonly SemaphoreSlim aheadSlots;
    readonly CancellationTokenSource stop = new();
    readonly object gate = new();
    readonly Dictionary<long, Batch> ready = [];
    readonly ConcurrentBag<Batch> spare = [];
    readonly Dictionary<int, int[]> orders = [];
    // Batches are numbered across epochs: ordinal = epoch * BatchesPerEpoch + batch.
    long nextToClaim, nextToDeliver;
    Exception? failure;
    bool disposed;
    Stopwatch? clock;
    long imagesDelivered;
    TimeSpan waited;

    public BatchLoader(IImageDataset data, BatchLoaderOptions options, LoaderPosition start = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.BatchSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Prefetch, 1);
        int workerCount = options.Workers ?? Math.Clamp(Environment.ProcessorCount / 2, 1, 4);
        ArgumentOutOfRangeException.ThrowIfLessThan(workerCount, 1);
        BatchesPerEpoch = data.Count / options.BatchSize;
        if (BatchesPerEpoch == 0)
            throw new DataException($"the data set has {data.Count} images, fewer than one batch of {options.BatchSize}.");
        if (start.Epoch < 0 || start.Batch < 0 || start.Batch >= BatchesPerEpoch)
            throw new ArgumentOutOfRangeException(nameof(start), start, $"an epoch has {BatchesPerEpoch} batches");

        this.data = data;
        this.options = options;
        byteValues = options.Range.ByteValues();
        nextToClaim = nextToDeliver = (long)start.Epoch * BatchesPerEpoch + start.Batch;
        aheadSlots = new SemaphoreSlim(options.Prefetch);
        workers = new Thread[workerCount];
        for (int i = 0; i < workerCount; i++)
        {
            workers[i] = new Thread(Work) { IsBackground = true, Name = $"rawgan batch loader {i}" };
            workers[i].Start();
        }
    }

    public int BatchesPerEpoch { get; }
    public int BatchSize => options.BatchSize;

    /// <summary>The position of the batch the next <see cref="Next"/> returns.</summary>
    public LoaderPosition Position
    {
        get { lock (gate) return PositionOf(nextToDeliver); }
    }

    public LoaderStats Stats => new(imagesDelivered, clock?.Elapsed ?? TimeSpan.Zero, waited);

    /// <summary>The next batch, waiting for it only if the workers are behind.</summary>
    public Batch Next()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        clock ??= Stopwatch.StartNew();
        long began = Stopwatch.GetTimestamp();
        bool blocked = false;
        Batch? batch;
        lock (gate)
        {
            while (!ready.Remove(nextToDeliver, out batch))
            {
                if (failure is not null) throw new InvalidOperationException("preparing a batch failed", failure);
                blocked = true;
                Monitor.Wait(gate);
            }
            nextToDeliver++;
        }
        if (blocked) waited += Stopwatch.GetElapsedTime(began);
        aheadSlots.Release();
        imagesDelivered += batch.Count;
        return batch;
    }

    LoaderPosition PositionOf(long ordinal) => new((int)(ordinal / BatchesPerEpoch), (int)(ordinal % BatchesPerEpoch));

    void Work()
    {
        var pixels = new byte[data.Size * data.Size * 3];
        try
        {
            while (true)
            {
                aheadSlots.Wait(stop.Token);
                long ordinal;
                lock (gate) ordinal = nextToClaim++;
                if (!spare.TryTake(out var batch)) batch = new Batch(options.BatchSize, data.Size, byteValues, Recycle);
                batch.Reuse();
                Fill(batch, ordinal, pixels);
                lock (gate)
                {
                    ready.Add(ordinal, batch);
                    Monitor.PulseAll(gate);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested) { }
        catch (Exception e)
        {
            lock (gate)
            {
                failure ??= e;
                Monitor.PulseAll(gate);
            }
        }
    }

    void Fill(Batch batch, long ordinal, byte[] pixels)
    {
        var position = PositionOf(ordinal);
        batch.Position = position;
        int[] order = Order(position.Epoch);
        int size = data.Size, plane = size * size;
        for (int i = 0; i < batch.Count; i++)
        {
            int slot = position.Batch * options.BatchSize + i;
            data.GetImage(order[slot], pixels);
            bool flip = options.HorizontalFlip
                && (new SplitMix64(SplitMix64.Seed(options.Seed, position.Epoch, slot)).NextUInt64() & 1) == 1;
            var target = batch.Pixels.AsSpan(i * 3 * plane, 3 * plane);
            var red = target[..plane];
            var green = target.Slice(plane, plane);
            var blue = target.Slice(2 * plane, plane);
            for (int y = 0; y < size; y++)
            {
                int row = y * size;
                for (int x = 0; x < size; x++)
                {
                    int source = (row + (flip ? size - 1 - x : x)) * 3;
                    red[row + x] = pixels[source];
                    green[row + x] = pixels[source + 1];
                    blue[row + x] = pixels[source + 2];
                }
            }
        }
    }

    /// <summary>The permutation of epoch <paramref name="epoch"/> (Fisher–Yates). Workers straddle
    /// at most two epochs, so older ones are dropped.</summary>
    int[] Order(int epoch)
    {
        lock (orders)
        {
            if (orders.TryGetValue(epoch, out var cached)) return cached;
            var order = new int[data.Count];
            for (int i = 0; i < order.Length; i++) order[i] = i;
            var rng = new SplitMix64(SplitMix64.Seed(options.Seed, epoch, -1));
            for (int i = order.Length - 1; i > 0; i--)
            {
                int j = rng.NextInt(i + 1);
                (order[i], order[j]) = (order[j], order[i]);
            }
            foreach (int old in orders.Keys.Where(e => e < epoch - 1).ToList()) orders.Remove(old);
            orders[epoch] = order;
            return order;
        }
    }

    void Recycle(Batch batch)
    {
        if (!disposed) spare.Add(batch);
    }

    public void Dispose()
    {
        lock (gate)
        {
            if (disposed) return;
            disposed = true;
            Monitor.PulseAll(gate);
        }
        stop.Cancel();
        foreach (var worker in workers) worker.Join();
        stop.Dispose();
        aheadSlots.Dispose();
    }
}
