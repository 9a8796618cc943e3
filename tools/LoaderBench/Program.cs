// Data pipeline throughput: decoding a folder into the packed cache, reopening it, and the batch
// loader feeding a trainer. Usage: LoaderBench [images-folder] [size] [batch] [crop, 0: none]
// Defaults: ../shared/data/celeba-10k found above the working directory, 64 px, 128, and 54,
// CelebA's face box on those half-size copies (108 px on the 178x218 originals).
using System.Diagnostics;
using RawGan.Data;

string? folder = args.Length > 0 ? args[0] : FindCelebA();
int size = args.Length > 1 ? int.Parse(args[1]) : 64;
int batchSize = args.Length > 2 ? int.Parse(args[2]) : 128;
int crop = args.Length > 3 ? int.Parse(args[3]) : 54;
if (folder is null || !Directory.Exists(folder))
{
    Console.Error.WriteLine("LoaderBench: no image folder; pass one, or put the CelebA sample at ../shared/data/celeba-10k");
    return 1;
}

string cache = Path.Combine(Path.GetTempPath(), $"rawgan-loaderbench-{Guid.NewGuid():N}");
var rows = new List<(string What, string Images, string Seconds, string Rate)>();
void Row(string what, long images, TimeSpan time) =>
    rows.Add((what, images.ToString("N0"), time.TotalSeconds.ToString("F2"), (images / time.TotalSeconds).ToString("N0")));

try
{
    var options = new FolderOptions { Path = folder, Size = size, Crop = crop > 0 ? crop : null, CacheDirectory = cache };
    var clock = Stopwatch.StartNew();
    using (var built = FolderDataset.Open(options))
    {
        Row($"decode + cache build, {size}px ({Environment.ProcessorCount} threads)", built.Report.FilesFound, clock.Elapsed);
        Console.WriteLine(built.Report);
    }

    clock.Restart();
    using var data = FolderDataset.Open(options);
    Row("reopen cached (scan + key + mmap)", data.Count, clock.Elapsed);

    foreach (var (workers, flip, floats) in new[] { (1, false, false), (2, false, false), (2, true, false), (2, false, true) })
    {
        var loaderOptions = new BatchLoaderOptions { BatchSize = batchSize, Seed = 1, Workers = workers, HorizontalFlip = flip };
        using var loader = new BatchLoader(data, loaderOptions);
        // Thread start-up, buffer allocation and the JIT's tiering up are not throughput: one epoch first.
        for (int i = 0; i < loader.BatchesPerEpoch; i++) loader.Next().Dispose();
        int batches = 5 * loader.BatchesPerEpoch;
        clock.Restart();
        double checksum = 0;
        for (int i = 0; i < batches; i++)
        {
            using var batch = loader.Next();
            if (floats)
            {
                // What the CPU trainer adds on its own thread: the bytes widened into a float tensor.
                using var real = batch.ToTensor(RawGan.Device.Cpu);
                checksum += real.Storage.Count;
            }
            else checksum += batch.Pixels[i % batch.Pixels.Length]; // touch the data as a trainer's copy would
        }
        Row($"batch loader, batch {batchSize}, {workers} worker{(workers > 1 ? "s" : "")}{(flip ? ", flip" : "")}{(floats ? ", + float tensor (CPU)" : "")}",
            (long)batches * batchSize, clock.Elapsed);
        GC.KeepAlive(checksum);
    }

    clock.Restart();
    var faces = new SyntheticFaces(SyntheticFaces.DefaultCount, size, seed: 0);
    Row($"synthetic faces, {size}px ({Environment.ProcessorCount} threads)", faces.Count, clock.Elapsed);
    clock.Restart();
    var face = new byte[32 * 32 * 3];
    for (int i = 0; i < 4096; i++) SyntheticFaces.Render(0, i, 32, face);
    Row("synthetic faces, 32px (1 thread)", 4096, clock.Elapsed);
}
finally
{
    Directory.Delete(cache, recursive: true);
}

Console.WriteLine();
Console.WriteLine($"{"stage",-62} {"images",9} {"seconds",8} {"images/s",10}");
foreach (var (what, images, seconds, rate) in rows)
    Console.WriteLine($"{what,-62} {images,9} {seconds,8} {rate,10}");
return 0;

static string? FindCelebA()
{
    for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
    {
        string candidate = Path.Combine(dir.FullName, "shared", "data", "celeba-10k");
        if (Directory.Exists(candidate)) return candidate;
    }
    return null;
}
