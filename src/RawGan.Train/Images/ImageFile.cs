using StbImageWriteSharp;

namespace RawGan.Images;

/// <summary>Writes the images RawGan makes (grids, frames, plots) as PNG, JPEG or BMP, chosen by the
/// file's extension. A missing folder is created, and the file appears whole or not at all.</summary>
public static class ImageFile
{
    /// <summary>Why RawGan cannot write this file, or null. Commands check their image options when the
    /// command line is parsed, so a mistyped --out fails at once rather than after minutes of work.</summary>
    public static string? Problem(string path) => FormatOf(path) is null
        ? $"'{path}': RawGan writes images as .png, .jpg (or .jpeg) or .bmp; name a file with one of those extensions."
        : null;

    public static void Write(string path, byte[] pixels, int width, int height, ColorComponents components)
    {
        if (Problem(path) is { } problem) throw new ArgumentException(problem);
        string full = Path.GetFullPath(path), tmp = full + ".tmp";
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            using (var stream = File.Create(tmp))
            {
                var writer = new ImageWriter();
                switch (FormatOf(path))
                {
                    case ".png": writer.WritePng(pixels, width, height, components, stream); break;
                    case ".jpg": writer.WriteJpg(pixels, width, height, components, stream, quality: 95); break;
                    default: writer.WriteBmp(pixels, width, height, components, stream); break;
                }
            }
            File.Move(tmp, full, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            if (File.Exists(tmp)) File.Delete(tmp);
            throw new IOException($"cannot write '{full}': {e.Message}", e);
        }
    }

    private static string? FormatOf(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".png" => ".png",
        ".jpg" or ".jpeg" => ".jpg",
        ".bmp" => ".bmp",
        _ => null,
    };
}
