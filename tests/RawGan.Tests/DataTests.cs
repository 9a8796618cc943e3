using RawGan.Data;
using RawGan.Images;
using StbImageWriteSharp;
using Xunit;

namespace RawGan.Tests;

public sealed class DataTests : IDisposable
{
    readonly string root = Path.Combine(Path.GetTempPath(), $"rawgan-data-tests-{Guid.NewGuid():N}");
    string Images => Path.Combine(root, "images");
    string Cache => Path.Combine(root, "cache");

    public DataTests() => Directory.CreateDirectory(Images);

    public void Dispose() => Directory.Delete(root, recursive: true);

    // ---- fixtures -------------------------------------------------------------------------

    enum Format { Png, Jpeg, Bmp }

    static byte[] Solid(int width, int height, byte r, byte g, byte b)
    {
        var pixels = new byte[width * height * 3];
        for (int i = 0; i < pixels.Length; i += 3) (pixels[i], pixels[i + 1], pixels[i + 2]) = (r, g, b);
        return pixels;
    }

    static byte[] Encode(byte[] pixels, int width, int height, Format format, ColorComponents components = ColorComponents.RedGreenBlue)
    {
        using var stream = new MemoryStream();
        var writer = new ImageWriter();
        switch (format)
        {
            case Format.Png: writer.WritePng(pixels, width, height, components, stream); break;
            case Format.Jpeg: writer.WriteJpg(pixels, width, height, components, stream, 95); break;
            case Format.Bmp: writer.WriteBmp(pixels, width, height, components, stream); break;
        }
        return stream.ToArray();
    }

    string Put(string relativePath, byte[] bytes)
    {
        string path = Path.Combine(Images, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    FolderDataset Open(int size = 8, int? crop = null, int? limit = null, IProgress<(int, int)>? progress = null)
        => FolderDataset.Open(new FolderOptions { Path = Images, Size = size, Crop = crop, Limit = limit, CacheDirectory = Cache }, progress, TestContext.Current.CancellationToken);

    static byte[] ImageOf(IImageDataset data, int index)
    {
        var pixels = new byte[data.Size * data.Size * 3];
        data.GetImage(index, pixels);
        return pixels;
    }

    /// <summary>Records progress reports synchronously (Progress&lt;T&gt; would post them to the thread pool).</summary>
    sealed class ProgressLog : IProgress<(int done, int total)>
    {
        public readonly List<(int done, int total)> Reports = [];
        public void Report((int done, int total) value) { lock (Reports) Reports.Add(value); }
    }

    /// <summary>Image i is a solid colour that encodes i, so a batch shows which images it holds.</summary>
    sealed class NumberedImages(int count, int size) : IImageDataset
    {
        public int Count => count;
        public int Size => size;
        public void GetImage(int index, Span<byte> rgbHwc)
        {
            for (int p = 0; p < size * size; p++)
            {
                rgbHwc[p * 3] = (byte)(index % 256);
                rgbHwc[p * 3 + 1] = (byte)(index / 256);
                // The left half is bright in blue, so a mirrored image can be told apart.
                rgbHwc[p * 3 + 2] = p % size < size / 2 ? (byte)255 : (byte)0;
            }
        }
    }

    static int ImageNumber(byte[] pixels, int image, int size)
    {
        int plane = size * size;
        return pixels[image * 3 * plane] + 256 * pixels[image * 3 * plane + plane];
    }

    static List<byte[]> Take(BatchLoader loader, int batches)
    {
        var taken = new List<byte[]>();
        for (int i = 0; i < batches; i++)
        {
            using var batch = loader.Next();
            taken.Add((byte[])batch.Pixels.Clone());
        }
        return taken;
    }

    // ---- scanning ---------------------------------------------------------------------------

    [Fact]
    public void Scan_FindsImageTreeInOrdinalOrder_IgnoringOtherFiles()
    {
        var png = Encode(Solid(4, 4, 1, 2, 3), 4, 4, Format.Png);
        foreach (var name in new[] { "b.JPG", "a.png", "lfw/Aaron_Eckhart/Aaron_Eckhart_0001.jpg", "with space.jpeg", "Z.Bmp" })
            Put(name, png);
        Put("notes.txt", "not an image"u8.ToArray());
        Put(".hidden.jpg", png);

        var names = ImageFolder.Scan(Images).Files.Select(f => f.RelativePath).ToArray();

        Assert.Equal(["Z.Bmp", "a.png", "b.JPG", "lfw/Aaron_Eckhart/Aaron_Eckhart_0001.jpg", "with space.jpeg"], names);
    }

    [Fact]
    public void Scan_FolderLinkLoop_ReadsEachFolderOnce()
    {
        var png = Encode(Solid(4, 4, 1, 2, 3), 4, 4, Format.Png);
        Put("a.png", png);
        Put("sub/b.png", png);
        Directory.CreateSymbolicLink(Path.Combine(Images, "sub", "up"), "..");

        var scan = ImageFolder.Scan(Images);

        Assert.Equal(["a.png", "sub/b.png"], scan.Files.Select(f => f.RelativePath));
        Assert.Equal(["sub/up"], scan.RepeatedFolders);
    }

    [Fact]
    public void Scan_LinksToAFolderOutside_AreFollowedOnce()
    {
        string elsewhere = Path.Combine(root, "elsewhere");
        Directory.CreateDirectory(elsewhere);
        File.WriteAllBytes(Path.Combine(elsewhere, "x.png"), Encode(Solid(4, 4, 1, 2, 3), 4, 4, Format.Png));
        Directory.CreateSymbolicLink(Path.Combine(Images, "first"), elsewhere);
        Directory.CreateSymbolicLink(Path.Combine(Images, "second"), Path.Combine("..", "elsewhere"));
        Directory.CreateSymbolicLink(Path.Combine(root, "hop"), elsewhere);
        Directory.CreateSymbolicLink(Path.Combine(Images, "third"), Path.Combine(root, "hop", ".", "..", "elsewhere"));

        var scan = ImageFolder.Scan(Images);

        Assert.Equal(["first/x.png"], scan.Files.Select(f => f.RelativePath));
        Assert.Equal(["second", "third"], scan.RepeatedFolders);
    }

    [Fact]
    public void Open_FolderLinkLoop_SaysWhichLinkItDidNotFollow()
    {
        Put("a.png", Encode(Solid(4, 4, 1, 2, 3), 4, 4, Format.Png));
        Directory.CreateSymbolicLink(Path.Combine(Images, "again"), ".");

        using var data = Open();

        Assert.Equal(1, data.Count);
        Assert.Contains("did not follow 1 folder link to a folder already read (again)", data.Report.ToString());
    }

    [Fact]
    public void Scan_MissingFolder_ThrowsDataException()
    {
        var error = Assert.Throws<DataException>(() => ImageFolder.Scan(Path.Combine(root, "nowhere")));
        Assert.Contains("does not exist", error.Message);
    }

    [Fact]
    public void Scan_FileInsteadOfFolder_ThrowsDataException()
    {
        string file = Put("one.png", Encode(Solid(4, 4, 1, 2, 3), 4, 4, Format.Png));
        var error = Assert.Throws<DataException>(() => ImageFolder.Scan(file));
        Assert.Contains("is a file", error.Message);
    }

    [Fact]
    public void Scan_FolderWithoutImages_ThrowsDataException()
    {
        Put("readme.txt", "hello"u8.ToArray());
        var error = Assert.Throws<DataException>(() => ImageFolder.Scan(Images));
        Assert.Contains("no .jpg", error.Message);
    }

    // ---- decoding and bad files --------------------------------------------------------------

    [Fact]
    public void Open_MixedFolder_DecodesGoodFilesAndReportsEachBadOne()
    {
        var jpeg = Encode(Solid(20, 20, 200, 100, 50), 20, 20, Format.Jpeg);
        Put("good.png", Encode(Solid(12, 10, 10, 20, 30), 12, 10, Format.Png));
        Put("good.jpg", jpeg);
        Put("good.bmp", Encode(Solid(9, 9, 40, 50, 60), 9, 9, Format.Bmp));
        Put("name with spaces.jpg", jpeg);
        Put("lfw/Aaron_Peirsol/Aaron_Peirsol_0001.jpg", jpeg);
        var random = new byte[3000];
        new Random(7).NextBytes(random);
        random[0] = 0x42; // not 'B', 0x89 or 0xFF: no known signature
        Put("bad-random.jpg", random);
        var corrupt = (byte[])random.Clone();
        // A JPEG signature and end marker around noise: only the decoder itself can tell.
        (corrupt[0], corrupt[1], corrupt[2], corrupt[^2], corrupt[^1]) = (0xFF, 0xD8, 0xFF, 0xFF, 0xD9);
        Put("bad-corrupt.jpg", corrupt);
        Put("bad-empty.jpg", []);
        Put("bad-text.jpg", "this is a text file, not a picture"u8.ToArray());
        Put("bad-truncated.jpg", jpeg[..(jpeg.Length / 2)]);
        var bmp = Encode(Solid(30, 30, 1, 2, 3), 30, 30, Format.Bmp);
        Put("bad-truncated.bmp", bmp[..(bmp.Length / 2)]);

        using var data = Open();

        var report = data.Report;
        Assert.Equal(11, report.FilesFound);
        Assert.Equal(5, data.Count);
        Assert.Equal(5, report.Images);
        Assert.Equal(6, report.Skipped);
        Assert.Equal(DataReport.BadFilesNamed, report.FirstBadFiles.Count);
        var reasons = report.FirstBadFiles.ToDictionary(b => b.Name, b => b.Reason);
        Assert.Equal(["bad-corrupt.jpg", "bad-empty.jpg", "bad-random.jpg", "bad-text.jpg", "bad-truncated.bmp"], reasons.Keys);
        Assert.StartsWith("corrupt JPEG", reasons["bad-corrupt.jpg"]);
        Assert.Equal("empty file", reasons["bad-empty.jpg"]);
        Assert.Equal("not a JPEG, PNG or BMP image", reasons["bad-random.jpg"]);
        Assert.Equal("not a JPEG, PNG or BMP image", reasons["bad-text.jpg"]);
        Assert.Equal("truncated BMP", reasons["bad-truncated.bmp"]);
        Assert.Contains("and 1 more", report.ToString());
    }

    [Fact]
    public void Decode_TruncatedJpeg_IsRejectedNotFilledWithGrey()
    {
        var jpeg = Encode(Solid(32, 32, 200, 100, 50), 32, 32, Format.Jpeg);

        Assert.NotNull(ImageDecoder.TryDecode(jpeg, out _));
        Assert.Null(ImageDecoder.TryDecode(jpeg[..(jpeg.Length - 20)], out string reason));
        Assert.Equal("truncated JPEG (no end-of-image marker)", reason);
    }

    [Fact]
    public void Open_GreyAndRgbaImages_BecomeRgb()
    {
        var grey = new byte[6 * 6];
        Array.Fill(grey, (byte)77);
        Put("a-grey.png", Encode(grey, 6, 6, Format.Png, ColorComponents.Grey));
        var rgba = new byte[6 * 6 * 4];
        for (int i = 0; i < rgba.Length; i += 4) (rgba[i], rgba[i + 1], rgba[i + 2], rgba[i + 3]) = (10, 200, 30, 128);
        Put("b-rgba.png", Encode(rgba, 6, 6, Format.Png, ColorComponents.RedGreenBlueAlpha));

        using var data = Open(size: 4);

        Assert.Equal(2, data.Count);
        Assert.All(ImageOf(data, 0), v => Assert.Equal(77, v));
        var colour = ImageOf(data, 1);
        for (int i = 0; i < colour.Length; i += 3)
            Assert.Equal((10, 200, 30), (colour[i], colour[i + 1], colour[i + 2]));
    }

    // ---- crop and resize ----------------------------------------------------------------------

    static byte[] Resize(byte[] pixels, int width, int height, int crop, int size)
    {
        var result = new byte[size * size * 3];
        CropResize.Apply(new RgbImage(width, height, pixels), crop, size, result);
        return result;
    }

    [Theory]
    [InlineData(37, 53, 0, 16)]  // downscale, odd ratio
    [InlineData(89, 109, 54, 64)] // CelebA half-size face box, slight upscale
    [InlineData(5, 3, 0, 11)]    // upscale
    public void CropResize_ConstantColour_StaysConstant(int width, int height, int crop, int size)
    {
        var result = Resize(Solid(width, height, 12, 34, 250), width, height, crop, size);
        for (int i = 0; i < result.Length; i += 3)
            Assert.Equal((12, 34, 250), (result[i], result[i + 1], result[i + 2]));
    }

    [Theory]
    [InlineData(2, 1)]
    [InlineData(64, 8)]
    [InlineData(60, 7)] // fractional coverage at every edge
    public void CropResize_PixelCheckerboard_AveragesToMidGrey(int side, int size)
    {
        var pixels = new byte[side * side * 3];
        for (int y = 0; y < side; y++)
            for (int x = 0; x < side; x++)
                if ((x + y) % 2 == 0) pixels.AsSpan((y * side + x) * 3, 3).Fill(255);

        var result = Resize(pixels, side, side, 0, size);

        // Output pixels covering an odd number of source pixels cannot be exactly half.
        int tolerance = side % size == 0 ? 1 : 255 / (side / size) / 2 + 2;
        Assert.All(result, v => Assert.InRange(v, 127 - tolerance, 128 + tolerance));
    }

    [Fact]
    public void CropResize_CentreCrop_KeepsOnlyTheCentreBox()
    {
        // 40x60 blue image with a red 20x20 square in its exact centre.
        const int Width = 40, Height = 60;
        var pixels = Solid(Width, Height, 0, 0, 255);
        for (int y = 20; y < 40; y++)
            for (int x = 10; x < 30; x++)
                (pixels[(y * Width + x) * 3], pixels[(y * Width + x) * 3 + 2]) = (255, 0);

        var cropped = Resize(pixels, Width, Height, 20, 10);
        for (int i = 0; i < cropped.Length; i += 3)
            Assert.Equal((255, 0, 0), (cropped[i], cropped[i + 1], cropped[i + 2]));

        // Without a crop the largest centred square (40x40) shows blue above and below the red.
        var square = Resize(pixels, Width, Height, 0, 4);
        Assert.Equal((0, 0, 255), (square[0], square[1], square[2]));
        int centre = (1 * 4 + 1) * 3;
        Assert.Equal((255, 0, 0), (square[centre], square[centre + 1], square[centre + 2]));
    }

    [Fact]
    public void CropResize_Upscale_IsBilinear_WithPixelCentresAtHalf_AsPil()
    {
        // 2x2 -> 4x4. Output pixel o samples source position (o + 0.5) / 2 - 0.5 = -0.25, 0.25, 0.75, 1.25,
        // clamped to [0, 1]: weights 0, 1/4, 3/4, 1 of the second pixel (PIL's BILINEAR gives the same).
        // Red ramps across (0 -> 200), green down (0 -> 100), blue is flat.
        byte[] pixels = [0, 0, 7, 200, 0, 7, 0, 100, 7, 200, 100, 7];
        var result = Resize(pixels, 2, 2, 0, 4);
        byte[] across = [0, 50, 150, 200], down = [0, 25, 75, 100];
        for (int y = 0; y < 4; y++)
            for (int x = 0; x < 4; x++)
                Assert.Equal((across[x], down[y], (byte)7), (result[(y * 4 + x) * 3], result[(y * 4 + x) * 3 + 1], result[(y * 4 + x) * 3 + 2]));
    }

    [Fact]
    public void CropResize_SameSize_IsAnExactCopy()
    {
        var pixels = new byte[16 * 16 * 3];
        new Random(3).NextBytes(pixels);
        Assert.Equal(pixels, Resize(pixels, 16, 16, 0, 16));
    }

    // ---- packed cache ---------------------------------------------------------------------------

    void PutColours(int count)
    {
        for (int i = 0; i < count; i++)
            Put($"{i:D3}.png", Encode(Solid(10, 10, (byte)(i * 20), 50, 100), 10, 10, Format.Png));
    }

    [Fact]
    public void Open_SecondTime_ReadsTheCacheWithoutDecoding()
    {
        PutColours(5);
        var progress = new ProgressLog();
        byte[] first;
        using (var data = Open(progress: progress))
        {
            Assert.False(data.Report.FromCache);
            Assert.Equal((5, 5), progress.Reports[^1]);
            first = ImageOf(data, 3);
        }
        progress.Reports.Clear();

        using var again = Open(progress: progress);

        Assert.True(again.Report.FromCache);
        Assert.Empty(progress.Reports);
        Assert.Equal(first, ImageOf(again, 3));
        Assert.Equal((60, 50, 100), (first[0], first[1], first[2]));
        Assert.Single(Directory.GetFiles(Cache));
    }

    [Fact]
    public void Open_AfterAFileChanges_RebuildsTheCache()
    {
        PutColours(3);
        using (var data = Open()) Assert.Equal(0, ImageOf(data, 0)[0]);

        string changed = Put("000.png", Encode(Solid(10, 10, 99, 50, 100), 10, 10, Format.Png));
        File.SetLastWriteTimeUtc(changed, DateTime.UtcNow.AddMinutes(1));
        using (var data = Open())
        {
            Assert.False(data.Report.FromCache);
            Assert.Equal(99, ImageOf(data, 0)[0]);
        }

        Put("003.png", Encode(Solid(10, 10, 1, 2, 3), 10, 10, Format.Png));
        using (var data = Open())
        {
            Assert.False(data.Report.FromCache);
            Assert.Equal(4, data.Count);
        }
        // The stale pack was replaced, not left beside the new one.
        Assert.Single(Directory.GetFiles(Cache));
    }

    [Fact]
    public void Open_DifferentSizeOrCropOrLimit_UsesItsOwnCache()
    {
        PutColours(4);
        using (Open(size: 8)) { }
        using (var other = Open(size: 4, crop: 6, limit: 2))
        {
            Assert.False(other.Report.FromCache);
            Assert.Equal(2, other.Count);
            Assert.Equal(4, other.Size);
        }
        using (var first = Open(size: 8)) Assert.True(first.Report.FromCache);
    }

    [Theory]
    [InlineData("truncate")]
    [InlineData("magic")]
    [InlineData("empty")]
    public void Open_CorruptCache_IsRebuilt(string damage)
    {
        PutColours(4);
        string path;
        using (var data = Open()) path = data.Report.CachePath;
        using (var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite))
        {
            switch (damage)
            {
                case "truncate": file.SetLength(file.Length - 100); break;
                case "magic": file.Write("NOTAPACK"u8); break;
                case "empty": file.SetLength(0); break;
            }
        }

        using var rebuilt = Open();

        Assert.False(rebuilt.Report.FromCache);
        Assert.Equal(4, rebuilt.Count);
        Assert.Equal(60, ImageOf(rebuilt, 3)[0]);
        using var again = Open();
        Assert.True(again.Report.FromCache);
    }

    [Fact]
    public void Open_CacheRemembersSkippedFiles()
    {
        PutColours(2);
        Put("zz-broken.png", "garbage"u8.ToArray());
        using (Open()) { }

        using var cached = Open();

        Assert.True(cached.Report.FromCache);
        Assert.Equal(1, cached.Report.Skipped);
        Assert.Equal(3, cached.Report.FilesFound);
        Assert.Equal(new BadFile("zz-broken.png", "not a JPEG, PNG or BMP image"), Assert.Single(cached.Report.FirstBadFiles));
    }

    [Fact]
    public void Open_NoReadableImage_ThrowsAndLeavesNoCacheFile()
    {
        Put("a.jpg", []);
        Put("b.png", "text"u8.ToArray());

        var error = Assert.Throws<DataException>(() => Open());

        Assert.Contains("none of the 2 files", error.Message);
        Assert.Contains("a.jpg: empty file", error.Message);
        Assert.Empty(Directory.Exists(Cache) ? Directory.GetFiles(Cache) : []);
    }

    [Fact]
    public void Open_Cancelled_LeavesNoPackBehind()
    {
        for (int i = 0; i < 300; i++) Put($"{i:D3}.png", Encode(Solid(4, 4, (byte)i, 2, 3), 4, 4, Format.Png));
        Assert.ThrowsAny<OperationCanceledException>(() => FolderDataset.Open(
            new FolderOptions { Path = Images, Size = 8, CacheDirectory = Cache }, cancel: new CancellationToken(canceled: true)));
        Assert.Empty(Directory.GetFiles(Cache));
    }

    [Fact]
    public void Open_DeletesTheTemporaryPacksOfDeadProcesses_NotOfLiveOnes()
    {
        Put("a.png", Encode(Solid(4, 4, 1, 2, 3), 4, 4, Format.Png));
        int dead = Enumerable.Range(100_000, 1000).First(pid => !PackedCache.IsRunning(pid));
        Directory.CreateDirectory(Cache);
        string orphan = Path.Combine(Cache, $"other-64px-0123abcd.pack.{dead}.{Guid.NewGuid():N}.tmp");
        string live = Path.Combine(Cache, $"other-64px-0123abcd.pack.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        File.WriteAllBytes(orphan, new byte[100]);
        File.WriteAllBytes(live, new byte[100]);

        using var data = Open();

        Assert.False(File.Exists(orphan));
        Assert.True(File.Exists(live));
    }

    [Fact]
    public void Open_EmptyFolder_ThrowsDataException()
        => Assert.Throws<DataException>(() => Open());

    [Fact]
    public void Open_Limit_TakesTheFirstFilesByName()
    {
        PutColours(6);
        using var data = Open(limit: 2);
        Assert.Equal(2, data.Count);
        Assert.Equal(20, ImageOf(data, 1)[0]);
    }

    // ---- batch loader ---------------------------------------------------------------------------

    [Fact]
    public void Loader_EachEpoch_IsAPermutationWithTheLastPartialBatchDropped()
    {
        var data = new NumberedImages(count: 23, size: 4);
        using var loader = new BatchLoader(data, new BatchLoaderOptions { BatchSize = 5, Seed = 1 });
        Assert.Equal(4, loader.BatchesPerEpoch);

        var epochs = new List<int[]>();
        for (int epoch = 0; epoch < 2; epoch++)
        {
            var seen = Take(loader, 4).SelectMany(d => Enumerable.Range(0, 5).Select(i => ImageNumber(d, i, 4))).ToArray();
            Assert.Equal(20, seen.Distinct().Count());
            Assert.All(seen, n => Assert.InRange(n, 0, 22));
            epochs.Add(seen);
        }
        Assert.NotEqual(epochs[0], epochs[1]);
        Assert.Equal(new LoaderPosition(2, 0), loader.Position);
    }

    [Fact]
    public void Loader_SameSeed_SameBatches_OtherSeed_OtherOrder()
    {
        var data = new NumberedImages(count: 50, size: 4);
        var options = new BatchLoaderOptions { BatchSize = 8, Seed = 42, HorizontalFlip = true, Workers = 2 };
        List<byte[]> a, b, c;
        using (var loader = new BatchLoader(data, options)) a = Take(loader, 12);
        using (var loader = new BatchLoader(data, options with { Workers = 1, Prefetch = 1 })) b = Take(loader, 12);
        using (var loader = new BatchLoader(data, options with { Seed = 43 })) c = Take(loader, 12);

        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void Loader_ResumedFromPosition_SeesExactlyTheRemainingBatches()
    {
        var data = new NumberedImages(count: 10, size: 4);
        var options = new BatchLoaderOptions { BatchSize = 3, Seed = 5, HorizontalFlip = true };
        List<byte[]> uninterrupted;
        using (var loader = new BatchLoader(data, options)) uninterrupted = Take(loader, 10);

        LoaderPosition saved;
        using (var loader = new BatchLoader(data, options))
        {
            Take(loader, 4);
            saved = loader.Position;
        }
        Assert.Equal(new LoaderPosition(1, 1), saved);

        using var resumed = new BatchLoader(data, options, saved);
        var rest = Take(resumed, 6);
        Assert.Equal(uninterrupted[4..], rest);

        var json = System.Text.Json.JsonSerializer.Serialize(saved);
        Assert.Equal(saved, System.Text.Json.JsonSerializer.Deserialize<LoaderPosition>(json));
    }

    [Fact]
    public void Loader_Batch_CarriesItsPosition()
    {
        using var loader = new BatchLoader(new NumberedImages(7, 2), new BatchLoaderOptions { BatchSize = 3 }, new LoaderPosition(3, 1));
        using (var batch = loader.Next()) Assert.Equal(new LoaderPosition(3, 1), batch.Position);
        using (var batch = loader.Next()) Assert.Equal(new LoaderPosition(4, 0), batch.Position);
    }

    [Fact]
    public void Loader_Flip_MirrorsSomeImagesOnlyWhenAsked()
    {
        const int Size = 4;
        var data = new NumberedImages(count: 64, size: Size);
        int Mirrored(bool flip)
        {
            using var loader = new BatchLoader(data, new BatchLoaderOptions { BatchSize = 64, HorizontalFlip = flip });
            using var batch = loader.Next();
            int plane = Size * Size, mirrored = 0;
            for (int i = 0; i < 64; i++)
                if (batch.Pixels[i * 3 * plane + 2 * plane] == 0) mirrored++; // blue at x=0 is dark only when flipped
            return mirrored;
        }
        Assert.Equal(0, Mirrored(false));
        Assert.InRange(Mirrored(true), 16, 48);
    }

    [Fact]
    public void Loader_Ranges_MapBytesOntoTheirEnds()
    {
        var data = new NumberedImages(count: 2, size: 2);
        foreach (var range in new[] { PixelRange.MinusOneToOne, PixelRange.MinusHalfToHalf })
        {
            using var loader = new BatchLoader(data, new BatchLoaderOptions { BatchSize = 2, Range = range });
            using var batch = loader.Next();
            var floats = batch.ToTensor(Device.Cpu).ToFloatArray();
            Assert.Equal(range.Low, floats.Min());
            Assert.Equal(range.High, floats.Max());
            Assert.Equal(2 * 3 * 2 * 2, floats.Length);
        }
    }

    [Fact]
    public void Loader_FewerImagesThanABatch_ThrowsDataException()
    {
        var error = Assert.Throws<DataException>(() => new BatchLoader(new NumberedImages(5, 2), new BatchLoaderOptions { BatchSize = 8 }));
        Assert.Contains("fewer than one batch", error.Message);
    }

    [Fact]
    public void Loader_Dispose_StopsWorkersAndNextThrows()
    {
        var loader = new BatchLoader(new NumberedImages(20, 2), new BatchLoaderOptions { BatchSize = 2, Workers = 3, Prefetch = 2 });
        loader.Next().Dispose();
        Thread.Sleep(20); // let the workers fill the queue and block
        loader.Dispose();
        loader.Dispose();
        Assert.Throws<ObjectDisposedException>(() => loader.Next());
    }

    [Fact]
    public void Loader_Stats_CountDeliveredImages()
    {
        using var loader = new BatchLoader(new NumberedImages(16, 2), new BatchLoaderOptions { BatchSize = 4 });
        Take(loader, 5);
        Assert.Equal(20, loader.Stats.Images);
        Assert.True(loader.Stats.ImagesPerSecond > 0);
    }

    // ---- synthetic faces --------------------------------------------------------------------------

    [Fact]
    public void SyntheticFaces_SameSeed_SameImages()
    {
        var a = new SyntheticFaces(count: 16, size: 32, seed: 3);
        var b = new SyntheticFaces(count: 16, size: 32, seed: 3);
        for (int i = 0; i < 16; i++) Assert.Equal(ImageOf(a, i), ImageOf(b, i));

        var single = new byte[32 * 32 * 3];
        SyntheticFaces.Render(3, 9, 32, single);
        Assert.Equal(ImageOf(a, 9), single);
    }

    [Fact]
    public void SyntheticFaces_DifferAcrossSeedsAndWithinASet()
    {
        var a = new SyntheticFaces(count: 64, size: 32, seed: 0);
        var b = new SyntheticFaces(count: 64, size: 32, seed: 1);
        Assert.NotEqual(ImageOf(a, 0), ImageOf(b, 0));

        var images = Enumerable.Range(0, 64).Select(i => ImageOf(a, i)).ToArray();
        Assert.Equal(64, images.Select(Convert.ToBase64String).Distinct().Count());
        // Mean brightness varies a lot across faces (skin, hair, background), not just by noise.
        var means = images.Select(im => im.Average(v => (double)v)).ToArray();
        double spread = Math.Sqrt(means.Average(m => (m - means.Average()) * (m - means.Average())));
        Assert.True(spread > 10, $"mean brightness spread {spread:F1} is too small for varied faces");
    }

    [Fact]
    public void SyntheticFaces_HaveAFaceInTheMiddle()
    {
        // The centre of the image is the face: on average skin-toned (red > blue) across the set.
        var faces = new SyntheticFaces(count: 64, size: 32, seed: 11);
        int redder = 0;
        for (int i = 0; i < faces.Count; i++)
        {
            var image = ImageOf(faces, i);
            int centre = (16 * 32 + 16) * 3;
            if (image[centre] > image[centre + 2]) redder++;
        }
        Assert.True(redder >= 60, $"only {redder} of 64 faces have skin at the centre");
    }

    // ---- real data --------------------------------------------------------------------------------

    /// <summary>../shared/data beside the checkout (or $RAWGAN_SHARED_DATA); null on a user's machine.</summary>
    internal static string? SharedData()
    {
        string? configured = Environment.GetEnvironmentVariable("RAWGAN_SHARED_DATA");
        if (!string.IsNullOrEmpty(configured)) return Directory.Exists(configured) ? configured : null;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "shared", "data");
            if (Directory.Exists(candidate)) return candidate;
        }
        return null;
    }

    [Fact]
    public void Open_CelebA_DecodesRealJpegs()
    {
        string? shared = SharedData();
        string celeba = Path.Combine(shared ?? "", "celeba-10k");
        Assert.SkipUnless(shared is not null && Directory.Exists(celeba),
            "CelebA sample not found: put it at ../shared/data/celeba-10k or set RAWGAN_SHARED_DATA");

        using var data = FolderDataset.Open(new FolderOptions { Path = celeba, Size = 64, Crop = 54, Limit = 500, CacheDirectory = Cache },
            cancel: TestContext.Current.CancellationToken);

        Assert.Equal(500, data.Report.FilesFound);
        Assert.Equal(0, data.Report.Skipped);
        Assert.Equal(500, data.Count);
        var image = ImageOf(data, 0);
        double mean = image.Average(v => (double)v);
        double deviation = Math.Sqrt(image.Average(v => (v - mean) * (v - mean)));
        Assert.True(deviation > 20, $"000001.jpg decoded nearly flat (deviation {deviation:F1})");
        // A face crop: the centre is skin, redder than it is blue.
        int centre = (32 * 64 + 32) * 3;
        Assert.True(image[centre] > image[centre + 2]);
    }
}
