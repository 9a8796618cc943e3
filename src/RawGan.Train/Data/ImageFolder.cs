namespace RawGan.Data;

/// <summary>One image file found by <see cref="ImageFolder.Scan"/>; path relative to the root, '/'-separated.</summary>
public readonly record struct SourceFile(string RelativePath, long Length, DateTime LastWriteUtc);

/// <summary>Finds the image files of a folder tree: CelebA's flat folder, LFW's Name/Name_0001.jpg tree, ...</summary>
public static class ImageFolder
{
    static readonly string[] Extensions = [".jpg", ".jpeg", ".png", ".bmp"];

    /// <summary>Image files under <paramref name="root"/>, recursively, sorted ordinally so every
    /// machine sees the same order. Hidden files are skipped (macOS leaves "._name.jpg" forks in archives).</summary>
    public static IReadOnlyList<SourceFile> Scan(string root)
    {
        if (File.Exists(root))
            throw new DataException($"'{root}' is a file; pass the folder that holds the images.");
        if (!Directory.Exists(root))
            throw new DataException($"data folder '{root}' does not exist.");

        var options = new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true };
        var files = new List<SourceFile>();
        foreach (var info in new DirectoryInfo(root).EnumerateFiles("*", options))
        {
            if (!Extensions.Contains(info.Extension, StringComparer.OrdinalIgnoreCase)) continue;
            string relative = Path.GetRelativePath(root, info.FullName).Replace(Path.DirectorySeparatorChar, '/');
            files.Add(new SourceFile(relative, info.Length, info.LastWriteTimeUtc));
        }
        if (files.Count == 0)
            throw new DataException($"no .jpg, .jpeg, .png or .bmp images in '{root}' (searched sub-folders too).");
        files.Sort((a, b) => string.CompareOrdinal(a.RelativePath, b.RelativePath));
        return files;
    }
}
