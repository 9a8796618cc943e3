using System.Buffers.Binary;
using System.IO.MemoryMappedFiles;
using System.Text;

namespace RawGan.Data;

/// <summary>
/// A decoded data set in one file, memory-mapped on later runs so starting takes seconds.
/// Layout, little-endian:
/// <code>
///   0  "RAWGANPK"           8  format version     12  image count     16  image size
///  20  channels (3)        24  files scanned      28  files skipped   32  trailer length
///  64  32-byte key: SHA-256 of folder, file names/lengths/times, size, crop, version
/// 128  images: count × size × size × 3 bytes, HWC, in file-name order
/// then the trailer: the first few bad files and why they were skipped.
/// </code>
/// A file whose header or length disagrees is treated as absent and rebuilt.
/// </summary>
internal sealed unsafe class PackedCache : IDisposable
{
    public const int Version = 1;
    const int HeaderBytes = 128;
    const int KeyOffset = 64;
    const int Channels = 3;
    static ReadOnlySpan<byte> Magic => "RAWGANPK"u8;

    readonly MemoryMappedFile map;
    readonly MemoryMappedViewAccessor view;
    readonly byte* images;
    readonly int imageBytes;

    PackedCache(MemoryMappedFile map, MemoryMappedViewAccessor view, byte* start, int count, int size,
        int filesFound, int skipped, IReadOnlyList<BadFile> badFiles)
    {
        this.map = map;
        this.view = view;
        images = start + HeaderBytes;
        Count = count;
        Size = size;
        imageBytes = size * size * Channels;
        FilesFound = filesFound;
        Skipped = skipped;
        BadFiles = badFiles;
    }

    public int Count { get; }
    public int Size { get; }
    public int FilesFound { get; }
    public int Skipped { get; }
    public IReadOnlyList<BadFile> BadFiles { get; }

    public ReadOnlySpan<byte> Image(int index)
    {
        if ((uint)index >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(index), index, $"data set has {Count} images");
        return new ReadOnlySpan<byte>(images + (long)index * imageBytes, imageBytes);
    }

    /// <summary>Maps <paramref name="path"/> if it holds a complete pack with this key and size; otherwise null.</summary>
    public static PackedCache? TryOpen(string path, ReadOnlySpan<byte> key, int size)
    {
        var file = new FileInfo(path);
        if (!file.Exists || file.Length < HeaderBytes) return null;
        long length = file.Length;

        MemoryMappedFile? map = null;
        MemoryMappedViewAccessor? view = null;
        byte* start = null;
        try
        {
            map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
            view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref start);
            start += view.PointerOffset;
            var header = new ReadOnlySpan<byte>(start, HeaderBytes);
            int count = Int(header, 12), trailerLength = Int(header, 32);
            bool valid = header.StartsWith(Magic) && Int(header, 8) == Version
                && Int(header, 16) == size && Int(header, 20) == Channels
                && header.Slice(KeyOffset, 32).SequenceEqual(key)
                && count > 0 && trailerLength >= 0
                && length == HeaderBytes + (long)count * size * size * Channels + trailerLength;
            if (valid)
            {
                long trailerOffset = length - trailerLength;
                var badFiles = ReadTrailer(new ReadOnlySpan<byte>(start + trailerOffset, trailerLength));
                if (badFiles is not null)
                    return new PackedCache(map, view, start, count, size, Int(header, 24), Int(header, 28), badFiles);
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        if (start != null) view!.SafeMemoryMappedViewHandle.ReleasePointer();
        view?.Dispose();
        map?.Dispose();
        return null;
    }

    /// <summary>
    /// Streams images into a temporary file beside <paramref name="path"/>, then renames it into
    /// place, so a killed run never leaves a half-written pack under the real name.
    /// <paramref name="fill"/> writes one image's bytes or returns why it could not.
    /// </summary>
    public static void Build(string path, ReadOnlySpan<byte> key, int size, int total,
        Func<int, Span<byte>, string?> fill, Func<int, string> name,
        IProgress<(int done, int total)>? progress, CancellationToken cancel)
    {
        const int Chunk = 256; // images decoded in parallel between sequential writes: bounds memory
        int imageBytes = size * size * Channels;
        var decoded = new byte[Chunk * imageBytes];
        var reasons = new string?[Chunk];
        var badFiles = new List<BadFile>();
        int count = 0, skipped = 0;
        DeleteOrphans(Path.GetDirectoryName(Path.GetFullPath(path))!);
        string temporary = $"{path}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp";
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
            {
                stream.Write(new byte[HeaderBytes]);
                for (int first = 0; first < total; first += Chunk)
                {
                    int n = Math.Min(Chunk, total - first);
                    Parallel.For(0, n, new ParallelOptions { CancellationToken = cancel },
                        i => reasons[i] = fill(first + i, decoded.AsSpan(i * imageBytes, imageBytes)));
                    for (int i = 0; i < n; i++)
                    {
                        if (reasons[i] is string reason)
                        {
                            skipped++;
                            if (badFiles.Count < DataReport.BadFilesNamed) badFiles.Add(new BadFile(name(first + i), reason));
                        }
                        else
                        {
                            stream.Write(decoded, i * imageBytes, imageBytes);
                            count++;
                        }
                    }
                    progress?.Report((first + n, total));
                }
                if (count == 0)
                    throw new DataException($"none of the {total:N0} files could be read as an image; first: "
                        + string.Join("; ", badFiles.Select(b => $"{b.Name}: {b.Reason}")));

                var trailer = WriteTrailer(badFiles);
                stream.Write(trailer);
                var header = new byte[HeaderBytes];
                Magic.CopyTo(header);
                BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(8), Version);
                BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(12), count);
                BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(16), size);
                BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(20), Channels);
                BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(24), total);
                BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(28), skipped);
                BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(32), trailer.Length);
                key.CopyTo(header.AsSpan(KeyOffset));
                stream.Position = 0;
                stream.Write(header);
            }
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    /// <summary>Deletes the temporary packs of processes that are gone: a run killed while decoding
    /// (SIGKILL, a crash, a closed terminal) cannot delete its own, and a pack of a large folder is
    /// gigabytes. Names are "NAME.PID.GUID.tmp"; a live process's file is left alone.</summary>
    static void DeleteOrphans(string directory)
    {
        foreach (var file in Directory.EnumerateFiles(directory, "*.pack.*.tmp"))
        {
            var parts = Path.GetFileName(file).Split('.');
            if (parts.Length < 4 || !int.TryParse(parts[^3], out int pid) || IsRunning(pid)) continue;
            try { File.Delete(file); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { } // another user's, or just gone
        }
    }

    internal static bool IsRunning(int pid)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException) { return false; }  // no such process
    }

    static int Int(ReadOnlySpan<byte> header, int offset) => BinaryPrimitives.ReadInt32LittleEndian(header[offset..]);

    static byte[] WriteTrailer(List<BadFile> badFiles)
    {
        using var memory = new MemoryStream();
        using (var writer = new BinaryWriter(memory, Encoding.UTF8))
        {
            writer.Write(badFiles.Count);
            foreach (var bad in badFiles)
            {
                writer.Write(bad.Name);
                writer.Write(bad.Reason);
            }
        }
        return memory.ToArray();
    }

    static List<BadFile>? ReadTrailer(ReadOnlySpan<byte> trailer)
    {
        try
        {
            using var reader = new BinaryReader(new MemoryStream(trailer.ToArray()), Encoding.UTF8);
            int n = reader.ReadInt32();
            if (n is < 0 or > DataReport.BadFilesNamed) return null;
            var badFiles = new List<BadFile>(n);
            for (int i = 0; i < n; i++) badFiles.Add(new BadFile(reader.ReadString(), reader.ReadString()));
            return badFiles;
        }
        catch (Exception e) when (e is IOException or FormatException) { return null; }
    }

    bool disposed;

    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        view.SafeMemoryMappedViewHandle.ReleasePointer();
        view.Dispose();
        map.Dispose();
    }
}
