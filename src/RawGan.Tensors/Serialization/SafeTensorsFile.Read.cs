using System.Buffers.Binary;
using System.Text.Json;
using System.Text.Unicode;

namespace RawGan.Serialization;

// Reading treats every file as hostile (downloaded checkpoints, half-written or bit-rotted
// ones): each length, count and offset is checked before it sizes an allocation or an index,
// and every problem becomes one SafeTensorsFormatException naming the file and the fault.
// The rules are the reference reader's: entries sorted by offset tile the buffer exactly,
// without gaps or overlaps, and the last one ends where the file ends.
public sealed partial class SafeTensorsFile
{
    /// <summary>The reference implementation's limit; a larger header is treated as corrupt.</summary>
    public const int MaxHeaderBytes = 100_000_000;

    public static SafeTensorsFile Read(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        return Read(stream, path);
    }

    /// <summary>Reads a file from the stream's current position to its end; <paramref name="name"/>
    /// is what error messages call it.</summary>
    public static SafeTensorsFile Read(Stream stream, string name = "<stream>")
    {
        if (!stream.CanSeek)
        {
            // The length check below needs the total size up front; only as many bytes as the
            // stream really holds get buffered, whatever its header claims.
            var copy = new MemoryStream();
            stream.CopyTo(copy);
            copy.Position = 0;
            return Read(copy, name);
        }
        try
        {
            return ReadSeekable(stream, name);
        }
        catch (EndOfStreamException e)
        {
            // Only when the file shrinks while being read: every length was checked against it.
            throw new SafeTensorsFormatException(name, "the file ended early", e);
        }
    }

    private sealed record HeaderEntry(string Name, string DType, int[] Shape, long Begin, long End);

    private static SafeTensorsFile ReadSeekable(Stream stream, string name)
    {
        long available = stream.Length - stream.Position;
        if (available < 8) throw Bad(name, $"{available} bytes is shorter than the 8-byte header length");
        Span<byte> prefix = stackalloc byte[8];
        stream.ReadExactly(prefix);
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (headerLength > MaxHeaderBytes) throw Bad(name, $"header length {headerLength} exceeds the {MaxHeaderBytes}-byte limit");
        if ((long)headerLength > available - 8) throw Bad(name, $"header length {headerLength} exceeds the {available - 8} bytes after the length field");
        var header = new byte[headerLength];
        stream.ReadExactly(header);

        var file = new SafeTensorsFile();
        var entries = ParseHeader(header, name, file.Metadata);

        long bufferLength = available - 8 - (long)headerLength;
        // Stable, so equal (begin, end) pairs (empty tensors) keep header order.
        var ordered = entries.OrderBy(e => e.Begin).ThenBy(e => e.End).ToList();
        long expectedBegin = 0;
        foreach (var e in ordered)
        {
            if (e.Begin != expectedBegin)
                throw Bad(name, $"tensor '{Shown(e.Name)}' data_offsets [{e.Begin}, {e.End}] should begin at {expectedBegin}: the buffer has a gap or an overlap");
            expectedBegin = e.End;
        }
        if (expectedBegin != bufferLength)
            throw Bad(name, $"the tensors cover {expectedBegin} bytes but the buffer after the header holds {bufferLength}");

        foreach (var e in ordered)
        {
            var data = new byte[e.End - e.Begin];
            stream.ReadExactly(data);
            file.Add(e.Name, e.DType, data, e.Shape);
        }
        return file;
    }

    private static List<HeaderEntry> ParseHeader(byte[] header, string name, IDictionary<string, string> metadata)
    {
        // JsonDocument decodes strings lazily; checking UTF-8 up front keeps a bad byte from
        // surfacing later as an unrelated exception.
        if (!Utf8.IsValid(header)) throw Bad(name, "the header is not valid UTF-8");
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(header);
        }
        catch (JsonException e)
        {
            throw Bad(name, $"the header is not valid JSON ({e.Message})", e);
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw Bad(name, $"the header is a JSON {document.RootElement.ValueKind}, not an object");
            var entries = new List<HeaderEntry>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in document.RootElement.EnumerateObject())
            {
                string key = Text(() => property.Name, name, "a header key");
                if (!seen.Add(key)) throw Bad(name, $"the header has '{Shown(key)}' twice");
                if (key == MetadataKey)
                    ParseMetadata(property.Value, name, metadata);
                else
                    entries.Add(ParseEntry(key, property.Value, name));
            }
            return entries;
        }
    }

    private static void ParseMetadata(JsonElement value, string name, IDictionary<string, string> metadata)
    {
        if (value.ValueKind != JsonValueKind.Object) throw Bad(name, $"'{MetadataKey}' is a JSON {value.ValueKind}, not an object");
        foreach (var item in value.EnumerateObject())
        {
            string key = Text(() => item.Name, name, $"a '{MetadataKey}' key");
            if (item.Value.ValueKind != JsonValueKind.String)
                throw Bad(name, $"metadata '{Shown(key)}' is a JSON {item.Value.ValueKind}; metadata values are strings");
            if (!metadata.TryAdd(key, Text(() => item.Value.GetString()!, name, $"metadata '{Shown(key)}'")))
                throw Bad(name, $"metadata has '{Shown(key)}' twice");
        }
    }

    private static HeaderEntry ParseEntry(string tensor, JsonElement value, string name)
    {
        string where = $"tensor '{Shown(tensor)}'";
        if (value.ValueKind != JsonValueKind.Object) throw Bad(name, $"{where} is a JSON {value.ValueKind}, not an object");
        JsonElement? dtypeValue = null, shapeValue = null, offsetsValue = null;
        foreach (var field in value.EnumerateObject())
        {
            string key = Text(() => field.Name, name, $"a key of {where}");
            ref JsonElement? slot = ref dtypeValue;
            switch (key)
            {
                case "dtype": break;
                case "shape": slot = ref shapeValue; break;
                case "data_offsets": slot = ref offsetsValue; break;
                default: throw Bad(name, $"{where} has unknown field '{Shown(key)}'");
            }
            if (slot is not null) throw Bad(name, $"{where} has '{Shown(key)}' twice");
            slot = field.Value;
        }
        if (dtypeValue is not { } dtypeElement) throw Bad(name, $"{where} has no 'dtype'");
        if (shapeValue is not { } shapeElement) throw Bad(name, $"{where} has no 'shape'");
        if (offsetsValue is not { } offsetsElement) throw Bad(name, $"{where} has no 'data_offsets'");

        if (dtypeElement.ValueKind != JsonValueKind.String) throw Bad(name, $"{where}: 'dtype' is a JSON {dtypeElement.ValueKind}, not a string");
        string dtype = Text(() => dtypeElement.GetString()!, name, $"{where}'s dtype");
        if (!SafeTensorsDType.TryElementSize(dtype, out int elementSize))
            throw Bad(name, $"{where} has unsupported dtype '{Shown(dtype)}' (supported: {string.Join(", ", SafeTensorsDType.All)})");

        if (shapeElement.ValueKind != JsonValueKind.Array) throw Bad(name, $"{where}: 'shape' is a JSON {shapeElement.ValueKind}, not an array");
        var shape = new int[shapeElement.GetArrayLength()];
        int i = 0;
        foreach (var dim in shapeElement.EnumerateArray())
        {
            if (dim.ValueKind != JsonValueKind.Number || !dim.TryGetInt64(out long d) || d < 0 || d > int.MaxValue)
                throw Bad(name, $"{where}: shape entry {Shown(dim.GetRawText())} is not an integer in [0, {int.MaxValue}]");
            shape[i++] = (int)d;
        }

        if (offsetsElement.ValueKind != JsonValueKind.Array || offsetsElement.GetArrayLength() != 2)
            throw Bad(name, $"{where}: 'data_offsets' is not a [begin, end] pair");
        long begin = Offset(offsetsElement[0], where, name), end = Offset(offsetsElement[1], where, name);
        if (end < begin) throw Bad(name, $"{where}: data_offsets [{begin}, {end}] end before they begin");

        string described = $"{where} ({dtype} [{string.Join(", ", shape)}])";
        long bytes = SafeTensorsEntry.ByteLength(shape, elementSize);
        if (bytes < 0) throw Bad(name, $"{described} has more elements than one array holds");
        if (end - begin != bytes) throw Bad(name, $"{described} needs {bytes} bytes but data_offsets [{begin}, {end}] span {end - begin}");
        return new HeaderEntry(tensor, dtype, shape, begin, end);
    }

    private static long Offset(JsonElement value, string where, string name) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out long offset) && offset >= 0
            ? offset
            : throw Bad(name, $"{where}: data offset {Shown(value.GetRawText())} is not a non-negative integer");

    /// <summary>Valid UTF-8 can still hold an undecodable JSON string: an escaped lone
    /// surrogate (<c>"\ud800"</c>), which System.Text.Json refuses to turn into a string.</summary>
    private static string Text(Func<string> decode, string name, string what)
    {
        try
        {
            return decode();
        }
        catch (InvalidOperationException e)
        {
            throw Bad(name, $"{what} is not a valid string ({e.Message})", e);
        }
    }

    /// <summary>A name as error messages show it: a hostile file can hold megabyte-long names.</summary>
    private static string Shown(string text) => text.Length <= 100 ? text : text[..100] + "...";

    private static SafeTensorsFormatException Bad(string name, string problem, Exception? inner = null) => new(name, problem, inner);
}
