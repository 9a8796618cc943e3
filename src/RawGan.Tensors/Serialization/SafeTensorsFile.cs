using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;

namespace RawGan.Serialization;

/// <summary>The safetensors format (Hugging Face): an 8-byte little-endian header length N,
/// N bytes of UTF-8 JSON
/// <c>{"__metadata__": {"k": "v"}, "name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}}</c>,
/// then the byte buffer the offsets point into. Entries keep the order they were added in (a
/// read file: buffer order); metadata is a string-to-string map written in ordinal key order
/// so that equal contents always give equal bytes.</summary>
public sealed partial class SafeTensorsFile
{
    private readonly List<SafeTensorsEntry> _entries = [];
    private readonly Dictionary<string, SafeTensorsEntry> _byName = new(StringComparer.Ordinal);

    /// <summary>The key the format reserves for the metadata map; no tensor may use it.</summary>
    public const string MetadataKey = "__metadata__";

    /// <summary>Free-form string metadata stored under <see cref="MetadataKey"/>.</summary>
    public IDictionary<string, string> Metadata { get; } = new SortedDictionary<string, string>(StringComparer.Ordinal);

    public IReadOnlyList<SafeTensorsEntry> Entries => _entries;

    public SafeTensorsEntry this[string name] => _byName.TryGetValue(name, out var entry)
        ? entry
        : throw new KeyNotFoundException($"no tensor '{name}' (has: {string.Join(", ", _entries.Select(e => e.Name))})");

    public bool Contains(string name) => _byName.ContainsKey(name);

    public bool TryGet(string name, [MaybeNullWhen(false)] out SafeTensorsEntry entry) => _byName.TryGetValue(name, out entry);

    /// <summary>Adds raw little-endian bytes of any <see cref="SafeTensorsDType"/>; the array is
    /// kept, not copied.</summary>
    public void Add(string name, string dtype, byte[] data, int[] shape)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name == MetadataKey) throw new ArgumentException($"'{MetadataKey}' is reserved for the metadata map", nameof(name));
        if (_byName.ContainsKey(name)) throw new ArgumentException($"a tensor named '{name}' is already present", nameof(name));
        // Encoding now rather than at write time names the culprit (a lone surrogate).
        StrictUtf8.GetByteCount(name);
        var entry = new SafeTensorsEntry(name, dtype, data, (int[])shape.Clone());
        _entries.Add(entry);
        _byName.Add(name, entry);
    }

    public void Add(string name, float[] values, int[] shape)
    {
        var data = new byte[checked(values.Length * 4)];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(data.AsSpan(4 * i), values[i]);
        Add(name, SafeTensorsDType.F32, data, shape);
    }

    public void Add(string name, double[] values, int[] shape)
    {
        var data = new byte[checked(values.Length * 8)];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteDoubleLittleEndian(data.AsSpan(8 * i), values[i]);
        Add(name, SafeTensorsDType.F64, data, shape);
    }

    public void Add(string name, long[] values, int[] shape)
    {
        var data = new byte[checked(values.Length * 8)];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteInt64LittleEndian(data.AsSpan(8 * i), values[i]);
        Add(name, SafeTensorsDType.I64, data, shape);
    }

    public void Add(string name, int[] values, int[] shape)
    {
        var data = new byte[checked(values.Length * 4)];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteInt32LittleEndian(data.AsSpan(4 * i), values[i]);
        Add(name, SafeTensorsDType.I32, data, shape);
    }

    /// <summary>Writes to <paramref name="path"/> + ".tmp", flushes it to disk, then renames it
    /// over <paramref name="path"/>: a crash leaves either the old file or the new one under the
    /// final name, never a half-written one.</summary>
    public void Write(string path)
    {
        string tmp = path + ".tmp";
        try
        {
            using (var stream = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                Write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(tmp, path, overwrite: true);
        }
        catch
        {
            try { File.Delete(tmp); }
            // The write's own failure is the one worth reporting; a leftover .tmp is harmless.
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
            throw;
        }
    }

    /// <summary>Writes the header exactly as the reference writer would for these entries in this
    /// order (compact JSON, metadata first, padded with spaces to a multiple of 8 bytes), then
    /// each entry's bytes back to back.</summary>
    public void Write(Stream stream)
    {
        byte[] header = HeaderBytes();
        Span<byte> prefix = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)header.Length);
        stream.Write(prefix);
        stream.Write(header);
        foreach (var entry in _entries) stream.Write(entry.Data);
    }

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private byte[] HeaderBytes()
    {
        var json = new StringBuilder("{");
        if (Metadata.Count > 0)
        {
            AppendString(json, MetadataKey).Append(":{");
            bool first = true;
            foreach (var (key, value) in Metadata)
            {
                if (!first) json.Append(',');
                first = false;
                AppendString(json, key).Append(':');
                AppendString(json, value);
            }
            json.Append('}');
        }
        long offset = 0;
        foreach (var entry in _entries)
        {
            if (json.Length > 1) json.Append(',');
            AppendString(json, entry.Name).Append(":{\"dtype\":");
            AppendString(json, entry.DType).Append(",\"shape\":[");
            json.AppendJoin(',', entry.Shape.Select(d => d.ToString(CultureInfo.InvariantCulture)));
            long end = offset + entry.Data.Length;
            json.Append(CultureInfo.InvariantCulture, $"],\"data_offsets\":[{offset},{end}]}}");
            offset = end;
        }
        json.Append('}');
        byte[] text = StrictUtf8.GetBytes(json.ToString());
        // Space padding keeps the buffer 8-byte aligned for memory-mapping readers; JSON ignores it.
        var header = new byte[(text.Length + 7) / 8 * 8];
        text.CopyTo(header, 0);
        header.AsSpan(text.Length).Fill((byte)' ');
        return header;
    }

    /// <summary>JSON string escaping as serde_json (the reference writer) does it: quote,
    /// backslash and control characters escaped, everything else raw UTF-8, so headers with
    /// non-ASCII names match the reference byte for byte.</summary>
    private static StringBuilder AppendString(StringBuilder json, string s)
    {
        json.Append('"');
        foreach (char c in s)
        {
            switch (c)
            {
                case '"': json.Append("\\\""); break;
                case '\\': json.Append("\\\\"); break;
                case '\b': json.Append("\\b"); break;
                case '\f': json.Append("\\f"); break;
                case '\n': json.Append("\\n"); break;
                case '\r': json.Append("\\r"); break;
                case '\t': json.Append("\\t"); break;
                case < ' ': json.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}"); break;
                default: json.Append(c); break;
            }
        }
        return json.Append('"');
    }
}
