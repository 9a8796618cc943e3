using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;

namespace RawGan.Data;

public sealed record FolderOptions
{
    /// <summary>The folder holding the images; sub-folders are searched too.</summary>
    public required string Path { get; init; }

    /// <summary>Images become Size×Size.</summary>
    public int Size { get; init; } = 64;

    /// <summary>Side of the centred square cut out before resizing; null, or a crop larger than an
    /// image, takes the image's largest centred square.
    /// For CelebA's 178×218 originals 108 frames the face (54 on the half-size copies).</summary>
    public int? Crop { get; init; }

    /// <summary>Use only the first N files in name order.</summary>
    public int? Limit { get; init; }

    /// <summary>Where decoded packs live; null: $RAWGAN_CACHE, else ~/.cache/rawgan.</summary>
    public string? CacheDirectory { get; init; }
}

/// <summary>
/// A folder of images, decoded once (in parallel) into a packed cache and memory-mapped after that.
/// The cache is rebuilt when any file is added, removed or changed, or Size/Crop change.
/// </summary>
public sealed class FolderDataset : IImageDataset, IDisposable
{
    readonly PackedCache pack;

    FolderDataset(PackedCache pack, DataReport report)
    {
        this.pack = pack;
        Report = report;
    }

    public int Count => pack.Count;
    public int Size => pack.Size;
    public DataReport Report { get; }

    public void GetImage(int index, Span<byte> rgbHwc) => pack.Image(index).CopyTo(rgbHwc);

    public static string DefaultCacheDirectory()
    {
        string? configured = Environment.GetEnvironmentVariable("RAWGAN_CACHE");
        if (!string.IsNullOrWhiteSpace(configured)) return configured;
        return System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "rawgan");
    }

    /// <summary>
    /// Opens the cached pack of <see cref="FolderOptions.Path"/>, building it first when missing,
    /// stale or damaged. <paramref name="progress"/> hears (files done, files total) while decoding.
    /// Throws <see cref="DataException"/> when there is nothing usable to train on.
    /// </summary>
    public static FolderDataset Open(FolderOptions options, IProgress<(int done, int total)>? progress = null,
        CancellationToken cancel = default)
    {
        if (options.Size < 1) throw new DataException($"image size must be at least 1 pixel, got {options.Size}.");
        if (options.Crop < 1) throw new DataException($"crop must be at least 1 pixel, got {options.Crop}.");
        if (options.Limit < 1) throw new DataException($"image limit must be at least 1, got {options.Limit}.");

        var clock = Stopwatch.StartNew();
        string root = System.IO.Path.GetFullPath(options.Path);
        var scan = ImageFolder.Scan(root);
        var files = scan.Files;
        if (options.Limit is int limit && limit < files.Count) files = files.Take(limit).ToList();

        string directory = options.CacheDirectory ?? DefaultCacheDirectory();
        string cachePath = System.IO.Path.Combine(directory, CacheFileName(root, options));
        byte[] key = ContentKey(root, files, options);

        var pack = PackedCache.TryOpen(cachePath, key, options.Size);
        bool fromCache = pack is not null;
        if (pack is null)
        {
            try
            {
                Directory.CreateDirectory(directory);
                PackedCache.Build(cachePath, key, options.Size, files.Count,
                    (i, target) => Decode(System.IO.Path.Combine(root, files[i].RelativePath), options, target),
                    i => files[i].RelativePath, progress, cancel);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new DataException($"cannot write the image cache in '{directory}' ({e.Message}); "
                    + "set RAWGAN_CACHE to a writable folder.", e);
            }
            pack = PackedCache.TryOpen(cachePath, key, options.Size)
                ?? throw new DataException($"the image cache '{cachePath}' was changed while it was being opened; run again.");
        }
        var report = new DataReport(root, pack.FilesFound, pack.Count, pack.Skipped, pack.BadFiles, scan.RepeatedFolders,
            fromCache, cachePath, clock.Elapsed);
        return new FolderDataset(pack, report);
    }

    /// <summary>Reads, decodes, crops and resizes one file; returns why not, or null on success.</summary>
    static string? Decode(string path, FolderOptions options, Span<byte> target)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return $"unreadable ({e.Message})"; }
        var image = ImageDecoder.TryDecode(bytes, out string reason);
        if (image is null) return reason;
        CropResize.Apply(image, options.Crop ?? 0, options.Size, target);
        return null;
    }

    /// <summary>One name per (folder, size, crop, limit), so a changed folder overwrites its old pack
    /// instead of leaving it behind: e.g. "celeba-10k-64px-crop54-1f2e3d4c.pack".</summary>
    static string CacheFileName(string root, FolderOptions options)
    {
        string folder = new(System.IO.Path.GetFileName(root.TrimEnd('/', '\\'))
            .Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_').Take(40).ToArray());
        string identity = $"{root}\n{options.Size}\n{options.Crop}\n{options.Limit}";
        string hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(identity)))[..8];
        return $"{folder}-{options.Size}px"
            + (options.Crop is int crop ? $"-crop{crop}" : "")
            + (options.Limit is int limit ? $"-first{limit}" : "")
            + $"-{hash}.pack";
    }

    /// <summary>What the pack's content depends on; stored in its header and compared on open.</summary>
    static byte[] ContentKey(string root, IReadOnlyList<SourceFile> files, FolderOptions options)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes($"rawgan pack v{PackedCache.Version}\n{root}\n{options.Size}\n{options.Crop}\n"));
        foreach (var file in files)
            hash.AppendData(Encoding.UTF8.GetBytes($"{file.RelativePath}\t{file.Length}\t{file.LastWriteUtc.Ticks}\n"));
        return hash.GetHashAndReset();
    }

    public void Dispose() => pack.Dispose();
}
