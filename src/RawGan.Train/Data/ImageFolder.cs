namespace RawGan.Data;

/// <summary>One image file found by <see cref="ImageFolder.Scan"/>; path relative to the root, '/'-separated.</summary>
public readonly record struct SourceFile(string RelativePath, long Length, DateTime LastWriteUtc);

/// <summary>What <see cref="ImageFolder.Scan"/> found: the image files, and the folder links it did not
/// follow because they lead to a folder already read (a loop such as <c>sub/up -> ..</c>, or a second
/// link to the same folder), relative to the root.</summary>
public sealed record FolderScan(IReadOnlyList<SourceFile> Files, IReadOnlyList<string> RepeatedFolders);

/// <summary>Finds the image files of a folder tree: CelebA's flat folder, LFW's Name/Name_0001.jpg tree, ...</summary>
public static class ImageFolder
{
    static readonly string[] Extensions = [".jpg", ".jpeg", ".png", ".bmp"];

    // Hidden files and folders are skipped (macOS leaves "._name.jpg" forks in archives).
    static readonly EnumerationOptions OneLevel = new() { IgnoreInaccessible = true };

    // Linux gives up resolving a path after 40 links (ELOOP); so do we.
    const int MaxLinks = 40;

    /// <summary>Image files under <paramref name="root"/>, recursively, sorted ordinally so every
    /// machine sees the same order. Links to folders are followed, but each folder is read once:
    /// a link loop would otherwise repeat its images until the OS refuses a path (40 levels deep).</summary>
    public static FolderScan Scan(string root)
    {
        if (File.Exists(root))
            throw new DataException($"'{root}' is a file; pass the folder that holds the images.");
        if (!Directory.Exists(root))
            throw new DataException($"data folder '{root}' does not exist.");

        var files = new List<SourceFile>();
        var repeated = new List<string>();
        var read = new HashSet<string>(StringComparer.Ordinal);
        var pending = new Stack<(DirectoryInfo Folder, string Relative, string Real)>();
        var top = new DirectoryInfo(root);
        pending.Push((top, "", RealPath(top.FullName)));
        while (pending.TryPop(out var folder))
        {
            if (!read.Add(folder.Real)) { repeated.Add(folder.Relative); continue; }
            foreach (var info in folder.Folder.EnumerateFiles("*", OneLevel))
                if (Extensions.Contains(info.Extension, StringComparer.OrdinalIgnoreCase))
                    files.Add(new SourceFile(Join(folder.Relative, info.Name), info.Length, info.LastWriteTimeUtc));
            // Pushed in reverse name order, so folders are read depth first in name order: which of two
            // paths to one folder counts as the repeat is the same on every machine.
            foreach (var sub in folder.Folder.EnumerateDirectories("*", OneLevel).OrderByDescending(d => d.Name, StringComparer.Ordinal))
            {
                string real = sub.LinkTarget is null ? Path.Join(folder.Real, sub.Name) : RealPath(sub.FullName);
                pending.Push((sub, Join(folder.Relative, sub.Name), real));
            }
        }
        if (files.Count == 0)
            throw new DataException($"no .jpg, .jpeg, .png or .bmp images in '{root}' (searched sub-folders too).");
        files.Sort((a, b) => string.CompareOrdinal(a.RelativePath, b.RelativePath));
        repeated.Sort(StringComparer.Ordinal);
        return new FolderScan(files, repeated);
    }

    /// <summary>Width and height of the first image under <paramref name="root"/> (in <see cref="Scan"/>'s
    /// order) that decodes; a DataException when none does.</summary>
    public static (int Width, int Height) FirstImageSize(string root)
    {
        foreach (var file in Scan(root).Files)
            if (ImageDecoder.TryDecode(File.ReadAllBytes(Path.Join(root, file.RelativePath)), out _) is { } image)
                return (image.Width, image.Height);
        throw new DataException($"no readable image in '{root}' (every .jpg, .jpeg, .png and .bmp file failed to decode).");
    }

    static string Join(string relative, string name) => relative.Length == 0 ? name : $"{relative}/{name}";

    /// <summary>The absolute path with every symbolic link along it resolved, as realpath(3) does:
    /// two paths name the same folder exactly when their real paths are equal.</summary>
    static string RealPath(string path)
    {
        string full = Path.GetFullPath(path);
        string resolved = Path.GetPathRoot(full)!;
        var todo = new Stack<string>();
        PushParts(todo, full[resolved.Length..]);
        for (int links = 0; todo.TryPop(out var part);)
        {
            if (part == ".") continue;
            if (part == "..") { resolved = Path.GetDirectoryName(resolved) ?? resolved; continue; }
            string next = Path.Join(resolved, part);
            string? target = new FileInfo(next).LinkTarget;
            if (target is null) { resolved = next; continue; }
            if (++links > MaxLinks) return full;   // the OS will refuse to open it; let that be the error
            string? targetRoot = Path.GetPathRoot(target);
            if (!string.IsNullOrEmpty(targetRoot)) resolved = targetRoot;
            PushParts(todo, target[(targetRoot?.Length ?? 0)..]);
        }
        return resolved;
    }

    /// <summary>Pushes the parts of a relative path so that the first part is popped first.</summary>
    static void PushParts(Stack<string> todo, string relative)
    {
        var parts = relative.Split([Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar], StringSplitOptions.RemoveEmptyEntries);
        for (int i = parts.Length - 1; i >= 0; i--) todo.Push(parts[i]);
    }
}
