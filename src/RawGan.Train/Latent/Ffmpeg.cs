using System.Diagnostics;

namespace RawGan.Latent;

/// <summary>MP4s of frame sequences through an `ffmpeg` found on the PATH; without one, none are made.</summary>
public static class Ffmpeg
{
    /// <summary>The ffmpeg executable on the PATH, or null.</summary>
    public static string? Find() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, OperatingSystem.IsWindows() ? "ffmpeg.exe" : "ffmpeg"))
            .FirstOrDefault(File.Exists);

    /// <summary>H.264 in yuv420p (plays everywhere; odd sizes are padded to even) from frames named
    /// 000000.png, 000001.png, ... in <paramref name="framesDir"/>. Returns ffmpeg's error text, or null on success.</summary>
    public static string? EncodeMp4(string ffmpeg, string framesDir, int fps, string outPath)
    {
        var start = new ProcessStartInfo(ffmpeg) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var arg in new[] { "-y", "-loglevel", "error", "-framerate", fps.ToString(System.Globalization.CultureInfo.InvariantCulture),
                     "-i", Path.Combine(framesDir, "%06d.png"), "-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2",
                     "-c:v", "libx264", "-pix_fmt", "yuv420p", outPath })
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {ffmpeg}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        string errors = process.StandardError.ReadToEnd();
        process.WaitForExit();
        stdout.Wait();
        return process.ExitCode == 0 ? null : $"ffmpeg exited with {process.ExitCode}: {errors.Trim()}";
    }
}
