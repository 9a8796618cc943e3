using RawGan.Images;

namespace RawGan.Latent;

/// <summary>
/// Animated GIF89a (https://www.w3.org/Graphics/GIF/spec-gif89a.txt): one 256-colour global palette
/// shared by every frame (so colours do not flicker), each frame's indices LZW-compressed, and the
/// NETSCAPE2.0 extension so viewers loop forever. The palette is exact when the frames hold at most
/// 256 colours, else a median cut of all frames' colours, each pixel mapped to its nearest entry.
/// </summary>
public static class GifWriter
{
    private const int PaletteSize = 256, MinCodeSize = 8, MaxCodes = 4096;

    public static void Save(string path, IReadOnlyList<RgbImage> frames, int delayCentiseconds)
    {
        var tmp = path + ".tmp";
        using (var stream = File.Create(tmp))
            Write(stream, frames, delayCentiseconds);
        File.Move(tmp, path, overwrite: true);
    }

    public static void Write(Stream stream, IReadOnlyList<RgbImage> frames, int delayCentiseconds)
    {
        if (frames.Count == 0) throw new ArgumentException("a GIF needs at least one frame");
        int width = frames[0].Width, height = frames[0].Height;
        if (width > ushort.MaxValue || height > ushort.MaxValue) throw new ArgumentException($"{width}x{height} is too large for a GIF");
        if (frames.Any(f => f.Width != width || f.Height != height)) throw new ArgumentException("every GIF frame must have the first frame's size");
        ArgumentOutOfRangeException.ThrowIfNegative(delayCentiseconds);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(delayCentiseconds, ushort.MaxValue);

        var palette = BuildPalette(frames);
        var output = new BinaryWriter(stream);
        void Put(params ReadOnlySpan<byte> bytes) => output.Write(bytes);
        Put("GIF89a"u8);
        output.Write((ushort)width);
        output.Write((ushort)height);
        output.Write((byte)0xF7);  // global colour table, 8 bits of colour resolution, 2^(7+1) entries
        output.Write((byte)0);     // background colour index
        output.Write((byte)0);     // square pixels
        foreach (int c in palette) Put((byte)(c >> 16), (byte)(c >> 8), (byte)c);
        Put(0x21, 0xFF, 11);  // application extension: NETSCAPE2.0, loop forever
        Put("NETSCAPE2.0"u8);
        Put(3, 1, 0, 0, 0);

        var nearest = new Dictionary<int, byte>();
        var indices = new byte[width * height];
        foreach (var frame in frames)
        {
            Put(0x21, 0xF9, 4, 0x04);  // graphic control: keep the frame, no transparency
            output.Write((ushort)delayCentiseconds);
            Put(0, 0);
            Put(0x2C, 0, 0, 0, 0);  // image descriptor at left 0, top 0
            output.Write((ushort)width);
            output.Write((ushort)height);
            output.Write((byte)0);  // no local colour table, not interlaced
            for (int p = 0; p < indices.Length; p++)
            {
                int rgb = Rgb(frame.Pixels, p);
                if (!nearest.TryGetValue(rgb, out byte index)) nearest[rgb] = index = Nearest(palette, rgb);
                indices[p] = index;
            }
            output.Write((byte)MinCodeSize);
            WriteSubBlocks(output, Lzw(indices));
        }
        output.Write((byte)0x3B);
        output.Flush();
    }

    /// <summary>GIF's variable-width LZW: codes start at MinCodeSize + 1 bits, grow by one bit when the
    /// next code needs it, and the table restarts with a clear code when 4095 codes are used; bits are
    /// packed least significant first. Follows giflib's encoder step for step.</summary>
    internal static byte[] Lzw(ReadOnlySpan<byte> indices)
    {
        const int clear = 1 << MinCodeSize, end = clear + 1;
        var bytes = new List<byte>();
        int codeSize = MinCodeSize + 1, next = end + 1, bitBuffer = 0, bitCount = 0;
        var table = new Dictionary<int, int>();

        void Emit(int code)
        {
            bitBuffer |= code << bitCount;
            bitCount += codeSize;
            for (; bitCount >= 8; bitCount -= 8, bitBuffer >>= 8) bytes.Add((byte)bitBuffer);
            if (next >= 1 << codeSize && codeSize < 12) codeSize++;
        }

        Emit(clear);
        int prefix = indices[0];
        for (int i = 1; i < indices.Length; i++)
        {
            int key = prefix << 8 | indices[i];
            if (table.TryGetValue(key, out int code)) { prefix = code; continue; }
            Emit(prefix);
            prefix = indices[i];
            if (next >= MaxCodes - 1)
            {
                Emit(clear);
                (next, codeSize) = (end + 1, MinCodeSize + 1);
                table.Clear();
            }
            else table[key] = next++;
        }
        Emit(prefix);
        Emit(end);
        if (bitCount > 0) bytes.Add((byte)bitBuffer);
        return [.. bytes];
    }

    private static void WriteSubBlocks(BinaryWriter output, byte[] data)
    {
        for (int at = 0; at < data.Length; at += 255)
        {
            int length = Math.Min(255, data.Length - at);
            output.Write((byte)length);
            output.Write(data, at, length);
        }
        output.Write((byte)0);
    }

    private static int Rgb(byte[] pixels, int p) => pixels[p * 3] << 16 | pixels[p * 3 + 1] << 8 | pixels[p * 3 + 2];

    private static byte Nearest(int[] palette, int rgb)
    {
        int best = 0, bestDistance = int.MaxValue;
        for (int i = 0; i < palette.Length; i++)
        {
            int dr = (palette[i] >> 16) - (rgb >> 16), dg = (palette[i] >> 8 & 0xFF) - (rgb >> 8 & 0xFF), db = (palette[i] & 0xFF) - (rgb & 0xFF);
            int distance = dr * dr + dg * dg + db * db;
            if (distance < bestDistance) (best, bestDistance) = (i, distance);
        }
        return (byte)best;
    }

    /// <summary>256 colours (0xRRGGBB): the frames' own when they have no more, else the weighted
    /// mean of each box of a median cut (Heckbert 1982) that splits the most spread box at its median.</summary>
    internal static int[] BuildPalette(IReadOnlyList<RgbImage> frames)
    {
        var counts = new Dictionary<int, int>();
        foreach (var frame in frames)
            for (int p = 0; p < frame.Width * frame.Height; p++)
            {
                int rgb = Rgb(frame.Pixels, p);
                counts[rgb] = counts.GetValueOrDefault(rgb) + 1;
            }
        var palette = new int[PaletteSize];
        if (counts.Count <= PaletteSize)
        {
            counts.Keys.Order().ToArray().CopyTo(palette, 0);
            return palette;
        }

        List<((int Color, int Count)[] Box, int Channel, int Spread)> boxes = [Widest([.. counts.Select(kv => (kv.Key, kv.Value))])];
        while (boxes.Count < PaletteSize)
        {
            var widest = boxes.MaxBy(w => w.Spread);
            if (widest.Spread == 0) break;
            boxes.Remove(widest);
            var (box, shift) = (widest.Box, 16 - 8 * widest.Channel);
            Array.Sort(box, (a, b) => (a.Color >> shift & 0xFF).CompareTo(b.Color >> shift & 0xFF));
            long half = box.Sum(c => (long)c.Count) / 2, seen = 0;
            int cut = 1;
            for (; cut < box.Length - 1; cut++)
                if ((seen += box[cut - 1].Count) >= half) break;
            boxes.Add(Widest(box[..cut]));
            boxes.Add(Widest(box[cut..]));
        }
        for (int i = 0; i < boxes.Count; i++)
        {
            long r = 0, g = 0, b = 0, n = 0;
            foreach (var (color, count) in boxes[i].Box)
                (r, g, b, n) = (r + (long)(color >> 16) * count, g + (long)(color >> 8 & 0xFF) * count, b + (long)(color & 0xFF) * count, n + count);
            palette[i] = (int)((r + n / 2) / n) << 16 | (int)((g + n / 2) / n) << 8 | (int)((b + n / 2) / n);
        }
        return palette;

        static ((int Color, int Count)[] Box, int Channel, int Spread) Widest((int Color, int Count)[] box)
        {
            var (channel, spread) = (0, -1);
            for (int c = 0; c < 3; c++)
            {
                int shift = 16 - 8 * c, low = 255, high = 0;
                foreach (var (color, _) in box) (low, high) = (Math.Min(low, color >> shift & 0xFF), Math.Max(high, color >> shift & 0xFF));
                if (high - low > spread) (channel, spread) = (c, high - low);
            }
            return (box, channel, spread);
        }
    }
}
