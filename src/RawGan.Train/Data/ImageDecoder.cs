using System.Buffers.Binary;
using RawGan.Images;
using StbImageSharp;

namespace RawGan.Data;

/// <summary>
/// Decodes JPEG, PNG and BMP bytes to RGB, and says why when it cannot. stb_image fills a
/// truncated JPEG or BMP with grey instead of failing, so those two are checked for length first.
/// </summary>
internal static class ImageDecoder
{
    public static RgbImage? TryDecode(byte[] bytes, out string reason)
    {
        if (bytes.Length == 0) { reason = "empty file"; return null; }
        string? format = Sniff(bytes);
        if (format is null) { reason = "not a JPEG, PNG or BMP image"; return null; }
        if (format == "JPEG" && !HasEndOfImage(bytes)) { reason = "truncated JPEG (no end-of-image marker)"; return null; }
        if (format == "BMP" && IsShortBmp(bytes)) { reason = "truncated BMP"; return null; }
        try
        {
            var result = ImageResult.FromMemory(bytes, ColorComponents.RedGreenBlue);
            reason = "";
            return new RgbImage(result.Width, result.Height, result.Data);
        }
        catch (Exception e)
        {
            // stb reports corruption with terse messages ("unknown marker"), some of them blank.
            string detail = e.Message.Trim();
            reason = $"corrupt {format}" + (detail.Length > 0 ? $" ({detail})" : "");
            return null;
        }
    }

    static string? Sniff(ReadOnlySpan<byte> bytes)
    {
        if (bytes.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xD8])) return "JPEG";
        if (bytes.StartsWith((ReadOnlySpan<byte>)[0x89, (byte)'P', (byte)'N', (byte)'G'])) return "PNG";
        if (bytes.StartsWith("BM"u8)) return "BMP";
        return null;
    }

    /// <summary>Entropy-coded data never holds FF D9 (an FF there is followed by 00 or a restart
    /// marker), so a complete JPEG has an end-of-image marker after its last start-of-scan.</summary>
    static bool HasEndOfImage(ReadOnlySpan<byte> bytes)
    {
        int lastScan = bytes.LastIndexOf((ReadOnlySpan<byte>)[0xFF, 0xDA]);
        int end = bytes.LastIndexOf((ReadOnlySpan<byte>)[0xFF, 0xD9]);
        return end > lastScan;
    }

    /// <summary>Uncompressed BMP rows are padded to 4 bytes, so the pixel array's length is known from the header.</summary>
    static bool IsShortBmp(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < 34) return true;
        uint pixelOffset = BinaryPrimitives.ReadUInt32LittleEndian(bytes[10..]);
        uint headerSize = BinaryPrimitives.ReadUInt32LittleEndian(bytes[14..]);
        if (headerSize < 40) return false; // OS/2 header: rare, left to stb
        long width = BinaryPrimitives.ReadInt32LittleEndian(bytes[18..]);
        long height = Math.Abs((long)BinaryPrimitives.ReadInt32LittleEndian(bytes[22..]));
        int bitsPerPixel = BinaryPrimitives.ReadUInt16LittleEndian(bytes[28..]);
        uint compression = BinaryPrimitives.ReadUInt32LittleEndian(bytes[30..]);
        const uint Rgb = 0, BitFields = 3;
        if (compression is not (Rgb or BitFields)) return false; // run-length data has no fixed length
        long stride = (width * bitsPerPixel + 31) / 32 * 4;
        return bytes.Length < pixelOffset + stride * height;
    }
}
