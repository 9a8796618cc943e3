using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using FsCheck;
using FsCheck.Fluent;
using RawGan.Serialization;

namespace RawGan.Tests;

public class SafeTensorsTests
{
    private static readonly string FixturesDir = Path.Combine(AppContext.BaseDirectory, "fixtures");

    // ---------------------------------------------------------------------------------------
    // Round trips.

    /// <summary>Every dtype, a scalar, empty tensors, names and metadata that need escaping or
    /// are non-ASCII.</summary>
    private static SafeTensorsFile Sample()
    {
        var file = new SafeTensorsFile();
        file.Add("conv.weight", [1.5f, -2f, float.MaxValue, float.Epsilon, -0f, 3.25f], [2, 1, 3]);
        file.Add("f64", [Math.PI, -1e-300, double.MinValue], [3]);
        file.Add("steps", [long.MinValue, -1L, 0L, long.MaxValue], [2, 2]);
        file.Add("i32", [int.MinValue, 7], [2]);
        file.Add("u8", SafeTensorsDType.U8, [0, 1, 128, 255, 42], [5]);
        file.Add("f16", SafeTensorsDType.F16, [0x00, 0x3C, 0x00, 0xC0], [2]); // 1.0, -2.0
        file.Add("bf16", SafeTensorsDType.BF16, [0x80, 0x3F, 0x40, 0xC0], [2]); // 1.0, -3.0
        file.Add("scalar", [2.5], []);
        file.Add("empty", Array.Empty<float>(), [0, 3]);
        file.Add("empty1d", Array.Empty<double>(), [0]);
        file.Add("层.权重", [1f], [1]);
        file.Add("emoji🙂", [2f], [1, 1]);
        file.Add("quote\"back\\slash\nnew\u0001line", [3f], [1]);
        file.Metadata["format"] = "pt";
        file.Metadata["note"] = "ünïcödé \"quoted\" \t tab";
        file.Metadata["emoji"] = "🙂";
        return file;
    }

    private static byte[] ToBytes(SafeTensorsFile file)
    {
        var stream = new MemoryStream();
        file.Write(stream);
        return stream.ToArray();
    }

    private static SafeTensorsFile FromBytes(byte[] bytes) => SafeTensorsFile.Read(new MemoryStream(bytes), "<test bytes>");

    private static void AssertSameContents(SafeTensorsFile expected, SafeTensorsFile actual)
    {
        Assert.Equal(expected.Entries.Select(e => e.Name), actual.Entries.Select(e => e.Name));
        foreach (var e in expected.Entries)
        {
            var a = actual[e.Name];
            Assert.Equal(e.DType, a.DType);
            Assert.Equal(e.Shape, a.Shape);
            Assert.Equal(e.Data, a.Data);
        }
        Assert.Equal(expected.Metadata, actual.Metadata);
    }

    [Fact]
    public void RoundTrip_ThroughStream_PreservesOrderDTypesShapesDataAndMetadata()
    {
        var file = Sample();
        var back = FromBytes(ToBytes(file));
        AssertSameContents(file, back);

        Assert.Equal([1.5f, -2f, float.MaxValue, float.Epsilon, -0f, 3.25f], back["conv.weight"].ToFloatArray());
        Assert.Equal([2, 1, 3], back["conv.weight"].Shape);
        Assert.Equal([Math.PI, -1e-300, double.MinValue], back["f64"].ToDoubleArray());
        Assert.Equal([long.MinValue, -1L, 0L, long.MaxValue], back["steps"].ToInt64Array());
        Assert.Equal([int.MinValue, 7], back["i32"].ToInt32Array());
        Assert.Equal([1f, -2f], back["f16"].ToFloatArray());
        Assert.Equal([1f, -3f], back["bf16"].ToFloatArray());
        Assert.Equal([2.5], back["scalar"].ToDoubleArray());
        Assert.Empty(back["scalar"].Shape);
        Assert.Equal(1, back["scalar"].ElementCount);
        Assert.Empty(back["empty"].ToFloatArray());
        Assert.Equal([0, 3], back["empty"].Shape);
        Assert.Equal([3f], back["quote\"back\\slash\nnew\u0001line"].ToFloatArray());
        Assert.Equal("ünïcödé \"quoted\" \t tab", back.Metadata["note"]);
        // Equal contents give equal bytes.
        Assert.Equal(ToBytes(file), ToBytes(back));
    }

    [Fact]
    public void RoundTrip_ThroughFile_AndThroughNonSeekableStream()
    {
        string dir = Directory.CreateTempSubdirectory("rawgan-st-").FullName;
        try
        {
            string path = Path.Combine(dir, "sample.safetensors");
            var file = Sample();
            file.Write(path);
            AssertSameContents(file, SafeTensorsFile.Read(path));
            using var pipe = new NonSeekableStream(File.ReadAllBytes(path));
            AssertSameContents(file, SafeTensorsFile.Read(pipe));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void RoundTrip_RandomEntries_Property()
    {
        string[] dtypes = [.. SafeTensorsDType.All];
        var entryGen =
            from dtype in Gen.Elements(dtypes)
            from shape in Gen.Choose(0, 4).SelectMany(rank => Gen.ArrayOf(Gen.Choose(0, 4), rank))
            from name in Gen.Elements("w", "main.0.weight", "ü", "权", "🙂", "a\"b", "", "x y")
            select (dtype, shape, name);
        var filesGen = Gen.ArrayOf(entryGen).Select(specs => specs.DistinctBy(s => s.name).ToArray());
        var property = Prop.ForAll(Arb.From(filesGen), specs =>
        {
            var file = new SafeTensorsFile();
            for (int i = 0; i < specs.Length; i++)
            {
                var (dtype, shape, name) = specs[i];
                int bytes = shape.Aggregate(SafeTensorsDType.ElementSize(dtype), (n, d) => n * d);
                file.Add(name, dtype, [.. Enumerable.Range(0, bytes).Select(b => (byte)(b * 31 + i))], shape);
            }
            file.Metadata["case"] = specs.Length.ToString();
            var back = FromBytes(ToBytes(file));
            AssertSameContents(file, back);
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(300).WithQuietOnSuccess(true), property);
    }

    // ---------------------------------------------------------------------------------------
    // Byte compatibility with the reference format, against hand-computed bytes.

    private static byte[] LittleEndian(ulong value)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, value);
        return bytes;
    }

    private static byte[] Bytes(ulong headerLength, string header, params byte[] buffer) =>
    [
        .. LittleEndian(headerLength),
        .. Encoding.UTF8.GetBytes(header),
        .. buffer,
    ];

    [Fact]
    public void Write_TinyFile_MatchesHandComputedReferenceBytes()
    {
        var file = new SafeTensorsFile();
        file.Add("w", [1f, -2f], [2]);
        // 54 bytes of JSON, padded with 2 spaces to 56; 1.0f = 00 00 80 3F, -2.0f = 00 00 00 C0.
        byte[] expected = Bytes(56, """{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}  """,
            0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0xC0);
        Assert.Equal(expected, ToBytes(file));
        Assert.Equal([1f, -2f], FromBytes(expected)["w"].ToFloatArray());
    }

    [Fact]
    public void Write_MetadataFirst_NonAsciiRaw_ScalarShapeEmpty_MatchesHandComputedBytes()
    {
        var file = new SafeTensorsFile();
        file.Add("é", [7L], []);
        file.Metadata["k"] = "v";
        // {"__metadata__":{"k":"v"}, = 26 bytes; "é" = 4 bytes (é is 2 in UTF-8);
        // :{"dtype":"I64","shape":[],"data_offsets":[0,8]}} = 49: 79 in all, 1 space to 80.
        byte[] expected = Bytes(80, """{"__metadata__":{"k":"v"},"é":{"dtype":"I64","shape":[],"data_offsets":[0,8]}} """,
            7, 0, 0, 0, 0, 0, 0, 0);
        Assert.Equal(expected, ToBytes(file));
    }

    [Fact]
    public void Write_NoTensors_IsEmptyObjectPaddedToEightBytes()
    {
        byte[] expected = Bytes(8, "{}      ");
        Assert.Equal(expected, ToBytes(new SafeTensorsFile()));
        var back = FromBytes(expected);
        Assert.Empty(back.Entries);
        Assert.Empty(back.Metadata);
    }

    [Fact]
    public void Read_AcceptsAnyEntryOrderAndWhitespace_ReturnsBufferOrder()
    {
        byte[] bytes =
        [
            .. WithHeader("""{ "b" : {"shape":[1],"dtype":"U8","data_offsets":[1,2]},  "a":{"dtype":"U8","shape":[],"data_offsets":[0,1]} }""", 0),
            10, 20,
        ];
        var file = FromBytes(bytes);
        Assert.Equal(["a", "b"], file.Entries.Select(e => e.Name));
        Assert.Equal([20], file["b"].Data);
    }

    // ---------------------------------------------------------------------------------------
    // PyTorch-written fixtures (tools/fixtures/make_fixtures.py).

    private static IEnumerable<string> FixtureFiles() =>
        Directory.EnumerateFiles(FixturesDir, "*.safetensors", SearchOption.AllDirectories).Order(StringComparer.Ordinal);

    [Fact]
    public void PythonWrittenDTypes_DecodeToTheValuesPyTorchWrote()
    {
        var file = SafeTensorsFile.Read(Path.Combine(FixturesDir, "format", "dtypes.safetensors"));
        Assert.Equal("dtypes", file.Metadata["op"]);
        double[] values = [-2.5, -1.0, 0.0, 0.375, 3.0, 96.0];
        Assert.Equal(values, file["f64"].ToDoubleArray());
        Assert.Equal(values.Select(v => (float)v), file["f32"].ToFloatArray());
        Assert.Equal([2, 3], file["f32"].Shape);
        Assert.Equal(values.Select(v => (float)v), file["f16"].ToFloatArray());
        Assert.Equal([3, 2], file["f16"].Shape);
        Assert.Equal(values.Select(v => (float)v), file["bf16"].ToFloatArray());
        Assert.Equal([1, 6], file["bf16"].Shape);
        Assert.Equal([-3L, -1, 0, 1, 7, 1L << 40], file["i64"].ToInt64Array());
        Assert.Equal([-3, -1, 0, 1, 7, 1 << 30], file["i32"].ToInt32Array());
        Assert.Equal([0, 1, 2, 127, 128, 255], file["u8"].Data);
        Assert.Equal([3.25], file["scalar"].ToDoubleArray());
        Assert.Empty(file["scalar"].Shape);
        Assert.Equal([2, 0], file["empty"].Shape);
        Assert.Empty(file["empty"].ToFloatArray());
        Assert.Equal([1.5f], file["unicode.ü权重"].ToFloatArray());
    }

    [Fact]
    public void EveryFixture_HasOpAndArgs_AndEveryTensorDecodes()
    {
        var files = FixtureFiles().ToList();
        Assert.True(files.Count >= 60, $"expected the generated fixtures under {FixturesDir}, found {files.Count}");
        foreach (string path in files)
        {
            var file = SafeTensorsFile.Read(path);
            Assert.True(file.Metadata.TryGetValue("op", out var op) && op.Length > 0, $"{path}: no 'op' metadata");
            Assert.True(file.Metadata.TryGetValue("args", out var args), $"{path}: no 'args' metadata");
            using (var parsed = JsonDocument.Parse(args))
                Assert.Equal(JsonValueKind.Object, parsed.RootElement.ValueKind);
            Assert.NotEmpty(file.Entries);
            foreach (var e in file.Entries)
            {
                int decoded = e.DType switch
                {
                    SafeTensorsDType.F64 => e.ToDoubleArray().Length,
                    SafeTensorsDType.F32 or SafeTensorsDType.F16 or SafeTensorsDType.BF16 => e.ToFloatArray().Length,
                    SafeTensorsDType.I64 => e.ToInt64Array().Length,
                    SafeTensorsDType.I32 => e.ToInt32Array().Length,
                    _ => e.Data.Length,
                };
                Assert.Equal(e.Shape.Aggregate(1, (n, d) => n * d), decoded);
            }
        }
    }

    /// <summary>The python writer follows the reference layout; RawGan's writer, given the
    /// entries in the order read, must reproduce each fixture byte for byte.</summary>
    [Fact]
    public void EveryFixture_RewritesToIdenticalBytes()
    {
        foreach (string path in FixtureFiles())
        {
            byte[] original = File.ReadAllBytes(path);
            Assert.True(original.AsSpan().SequenceEqual(ToBytes(SafeTensorsFile.Read(path))), $"{path}: rewritten bytes differ");
        }
    }

    // ---------------------------------------------------------------------------------------
    // Hostile and corrupted input: SafeTensorsFormatException, or a successful read.

    /// <summary>Reads and returns the file, or null for a SafeTensorsFormatException; any other
    /// exception fails the test with the case that produced it. A successful read must also
    /// write back.</summary>
    private static SafeTensorsFile? ReadOrFormatError(byte[] bytes, string what)
    {
        try
        {
            var file = FromBytes(bytes);
            ToBytes(file);
            return file;
        }
        catch (SafeTensorsFormatException e)
        {
            Assert.Contains("<test bytes>", e.Message);
            return null;
        }
        catch (Exception e)
        {
            Assert.Fail($"{what}: {e.GetType().Name} instead of SafeTensorsFormatException: {e}");
            return null;
        }
    }

    [Fact]
    public void Truncation_AtEveryLength_IsAFormatError()
    {
        byte[] bytes = ToBytes(Sample());
        for (int length = 0; length < bytes.Length; length++)
            Assert.Null(ReadOrFormatError(bytes[..length], $"truncated to {length} of {bytes.Length} bytes"));
    }

    [Fact]
    public void Truncation_OfAPyTorchFixture_IsAFormatError()
    {
        byte[] bytes = File.ReadAllBytes(Path.Combine(FixturesDir, "models", "dcgan32_generator.safetensors"));
        var random = new Random(1234);
        // All of the header region, then random cuts through the buffer.
        int headerEnd = 8 + (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        var lengths = Enumerable.Range(0, headerEnd + 16).Concat(Enumerable.Range(0, 300).Select(_ => random.Next(bytes.Length)));
        foreach (int length in lengths)
            Assert.Null(ReadOrFormatError(bytes[..length], $"fixture truncated to {length} of {bytes.Length} bytes"));
    }

    private static readonly byte[] InterestingBytes = [.. "{}[]\":,-0123456789.eE \\u"u8, 0x00, 0x7F, 0x80, 0xC3, 0xFF];

    /// <summary>Flips, inserts and deletes bytes, mostly inside the header where they matter.</summary>
    private static void Mutate(byte[] original, int seed, int cases)
    {
        int headerEnd = 8 + (int)BinaryPrimitives.ReadUInt64LittleEndian(original);
        for (int c = 0; c < cases; c++)
        {
            var random = new Random(seed + c);
            var bytes = original.ToList();
            int edits = random.Next(1, 4);
            for (int k = 0; k < edits; k++)
            {
                int at = random.Next(10) < 8 ? random.Next(Math.Min(headerEnd, bytes.Count)) : random.Next(bytes.Count);
                byte value = random.Next(2) == 0 ? InterestingBytes[random.Next(InterestingBytes.Length)] : (byte)random.Next(256);
                switch (random.Next(4))
                {
                    case 0: bytes.Insert(at, value); break;
                    case 1: bytes.RemoveAt(at); break;
                    default: bytes[at] = value; break;
                }
            }
            ReadOrFormatError([.. bytes], $"mutation case {seed + c}");
        }
    }

    [Fact]
    public void RandomByteEdits_AreFormatErrorsOrHarmless() => Mutate(ToBytes(Sample()), seed: 0, cases: 4000);

    [Fact]
    public void RandomByteEdits_OfAPyTorchFixture_AreFormatErrorsOrHarmless() =>
        Mutate(File.ReadAllBytes(Path.Combine(FixturesDir, "ops", "batch_norm2d_train.safetensors")), seed: 100_000, cases: 2000);

    /// <summary>Random byte edits mostly break the JSON; these keep it valid and replace numbers
    /// (shapes, offsets) and dtypes, so the fuzzing reaches the shape, size and tiling checks.</summary>
    [Fact]
    public void RandomHeaderNumberAndDTypeEdits_AreFormatErrorsOrHarmless()
    {
        byte[] original = ToBytes(Sample());
        int n = (int)BinaryPrimitives.ReadUInt64LittleEndian(original);
        string header = Encoding.UTF8.GetString(original, 8, n);
        byte[] buffer = original[(8 + n)..];
        var tokens = Regex.Matches(header, "-?[0-9]+|\"(F64|F32|F16|BF16|I64|I32|U8)\"").ToArray();
        // Boundary values, plus the header's own numbers: swapping those makes gaps, overlaps
        // and size mismatches rather than only out-of-range values.
        string[] numbers = ["0", "1", "-1", "2147483647", "2147483648", "4294967296", "9223372036854775807",
            "9223372036854775808", "18446744073709551616", "1e400", "1.5", "-0", "1e2",
            .. tokens.Select(t => t.Value).Where(v => !v.StartsWith('"')).Distinct()];
        string[] dtypes = ["\"F64\"", "\"F32\"", "\"F16\"", "\"BF16\"", "\"I64\"", "\"I32\"", "\"U8\"", "\"BOOL\"", "\"\"", "null", "[]", "8"];
        int read = 0;
        for (int c = 0; c < 3000; c++)
        {
            var random = new Random(c);
            var edits = tokens.OrderBy(_ => random.Next()).Take(random.Next(1, 4)).OrderByDescending(t => t.Index);
            var text = new StringBuilder(header);
            foreach (var token in edits)
            {
                string[] choices = token.Value.StartsWith('"') ? dtypes : numbers;
                text.Remove(token.Index, token.Length).Insert(token.Index, choices[random.Next(choices.Length)]);
            }
            int bufferBytes = random.Next(8) == 0 ? random.Next(buffer.Length + 16) : buffer.Length;
            byte[] bytes = [.. WithHeader(text.ToString(), 0), .. buffer.Concat(new byte[16]).Take(bufferBytes)];
            if (ReadOrFormatError(bytes, $"header edit case {c}: {text}") is not null) read++;
        }
        // Some edits are harmless (a digit inside a name); most must be caught.
        Assert.InRange(read, 1, 1500);
    }

    [Theory]
    [InlineData(ulong.MaxValue, "exceeds the 100000000-byte limit")]
    [InlineData(1UL << 63, "exceeds the 100000000-byte limit")]
    [InlineData(100_000_001UL, "exceeds the 100000000-byte limit")]
    [InlineData(100_000_000UL, "exceeds the 16 bytes after the length field")]
    [InlineData(17UL, "exceeds the 16 bytes after the length field")]
    [InlineData(0UL, "not valid JSON")]
    public void AbsurdHeaderLength_IsAFormatError(ulong headerLength, string expected)
    {
        byte[] bytes = Bytes(headerLength, """{"a":{"dtype":"U""");
        Assert.Equal(24, bytes.Length);
        var e = Assert.Throws<SafeTensorsFormatException>(() => FromBytes(bytes));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void ShorterThanTheLengthField_IsAFormatError()
    {
        var e = Assert.Throws<SafeTensorsFormatException>(() => FromBytes([1, 2, 3]));
        Assert.Contains("3 bytes is shorter than the 8-byte header length", e.Message);
    }

    /// <summary>A header with a given buffer of zeros after it; the header length field is right.</summary>
    private static byte[] WithHeader(string header, int bufferBytes)
    {
        byte[] json = Encoding.UTF8.GetBytes(header);
        return [.. LittleEndian((ulong)json.Length), .. json, .. new byte[bufferBytes]];
    }

    [Theory]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", 4, "cover 8 bytes but the buffer after the header holds 4")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", 12, "cover 8 bytes but the buffer after the header holds 12")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""", 12, "should begin at 0")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,12]}}""", 12, "needs 8 bytes but data_offsets [0, 12] span 12")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,8]}}""", 8, "needs 24 bytes")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}""", 8, "end before they begin")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[-8,0]}}""", 8, "is not a non-negative integer")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,18446744073709551616]}}""", 8, "is not a non-negative integer")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8,16]}}""", 8, "is not a [begin, end] pair")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0.0,8]}}""", 8, "is not a non-negative integer")]
    [InlineData("""{"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}""", 8, "shape entry -2 is not an integer")]
    [InlineData("""{"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,8]}}""", 8, "shape entry 1.5 is not an integer")]
    [InlineData("""{"a":{"dtype":"F32","shape":["2"],"data_offsets":[0,8]}}""", 8, "is not an integer")]
    [InlineData("""{"a":{"dtype":"F32","shape":[4294967296],"data_offsets":[0,8]}}""", 8, "is not an integer in [0, 2147483647]")]
    [InlineData("""{"a":{"dtype":"F64","shape":[2147483647,2147483647,2147483647,2147483647],"data_offsets":[0,8]}}""", 8, "more elements than one array holds")]
    [InlineData("""{"a":{"dtype":"U8","shape":[65536,65536],"data_offsets":[0,8]}}""", 8, "more elements than one array holds")]
    [InlineData("""{"a":{"dtype":"F32","shape":2,"data_offsets":[0,8]}}""", 8, "'shape' is a JSON Number")]
    [InlineData("""{"a":{"dtype":"F8_E4M3","shape":[8],"data_offsets":[0,8]}}""", 8, "unsupported dtype 'F8_E4M3'")]
    [InlineData("""{"a":{"dtype":"f32","shape":[2],"data_offsets":[0,8]}}""", 8, "unsupported dtype 'f32'")]
    [InlineData("""{"a":{"dtype":4,"shape":[2],"data_offsets":[0,8]}}""", 8, "'dtype' is a JSON Number")]
    [InlineData("""{"a":{"shape":[2],"data_offsets":[0,8]}}""", 8, "has no 'dtype'")]
    [InlineData("""{"a":{"dtype":"F32","data_offsets":[0,8]}}""", 8, "has no 'shape'")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2]}}""", 8, "has no 'data_offsets'")]
    [InlineData("""{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"extra":1}}""", 8, "unknown field 'extra'")]
    [InlineData("""{"a":{"dtype":"F32","dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", 8, "has 'dtype' twice")]
    [InlineData("""{"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},"a":{"dtype":"U8","shape":[4],"data_offsets":[4,8]}}""", 8, "has 'a' twice")]
    [InlineData("""{"a":{"dtype":"U8","shape":[6],"data_offsets":[0,6]},"b":{"dtype":"U8","shape":[4],"data_offsets":[4,8]}}""", 8, "'b' data_offsets [4, 8] should begin at 6")]
    [InlineData("""{"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},"b":{"dtype":"U8","shape":[4],"data_offsets":[4,8]}}""", 8, "should begin at 2")]
    [InlineData("""{"a":[0,8]}""", 8, "tensor 'a' is a JSON Array")]
    [InlineData("""{"__metadata__":{"k":1}}""", 0, "metadata 'k' is a JSON Number")]
    [InlineData("""{"__metadata__":["k"]}""", 0, "'__metadata__' is a JSON Array")]
    [InlineData("""{"__metadata__":{"k":"v","k":"w"}}""", 0, "metadata has 'k' twice")]
    [InlineData("""{"__metadata__":{},"__metadata__":{}}""", 0, "has '__metadata__' twice")]
    [InlineData("""[1,2]""", 0, "the header is a JSON Array, not an object")]
    [InlineData("""null""", 0, "the header is a JSON Null")]
    [InlineData("""{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}""", 1, "not valid JSON")]
    [InlineData("""{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}},""", 1, "not valid JSON")]
    [InlineData("""{"\ud800":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}""", 1, "a header key is not a valid string")]
    [InlineData("""{"__metadata__":{"k":"\udc00x"}}""", 0, "metadata 'k' is not a valid string")]
    public void MalformedHeader_IsAFormatErrorNamingTheProblem(string header, int bufferBytes, string expected)
    {
        var e = Assert.Throws<SafeTensorsFormatException>(() => FromBytes(WithHeader(header, bufferBytes)));
        Assert.Contains(expected, e.Message);
        Assert.Equal("<test bytes>", e.FileName);
    }

    [Fact]
    public void DeeplyNestedOrInvalidUtf8Header_IsAFormatError()
    {
        string deep = "{\"a\":" + new string('[', 10_000) + new string(']', 10_000) + "}";
        Assert.Contains("not valid JSON", Assert.Throws<SafeTensorsFormatException>(() => FromBytes(WithHeader(deep, 0))).Message);
        byte[] bad = [.. LittleEndian(7), (byte)'{', (byte)'"', 0xFF, (byte)'"', (byte)':', (byte)'1', (byte)'}'];
        Assert.Contains("not valid UTF-8", Assert.Throws<SafeTensorsFormatException>(() => FromBytes(bad)).Message);
    }

    [Fact]
    public void Read_MissingFile_IsNotAFormatError_AndFormatErrorsNameThePath()
    {
        string dir = Directory.CreateTempSubdirectory("rawgan-st-").FullName;
        try
        {
            Assert.Throws<FileNotFoundException>(() => SafeTensorsFile.Read(Path.Combine(dir, "absent.safetensors")));
            string path = Path.Combine(dir, "short.safetensors");
            File.WriteAllBytes(path, [1, 2]);
            var e = Assert.Throws<SafeTensorsFormatException>(() => SafeTensorsFile.Read(path));
            Assert.Equal(path, e.FileName);
            Assert.StartsWith(path, e.Message);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    // ---------------------------------------------------------------------------------------
    // Atomic write.

    [Fact]
    public void Write_ReplacesAnExistingFile_AndLeavesNoTmp()
    {
        string dir = Directory.CreateTempSubdirectory("rawgan-st-").FullName;
        try
        {
            string path = Path.Combine(dir, "ckpt.safetensors");
            File.WriteAllText(path, "an older, longer file that the write must replace entirely");
            var file = Sample();
            file.Write(path);
            Assert.Equal(ToBytes(file), File.ReadAllBytes(path));
            Assert.Equal(["ckpt.safetensors"], Directory.GetFiles(dir).Select(Path.GetFileName));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Write_FailingMidway_KeepsTheOldFile_AndLeavesNoTmp()
    {
        string dir = Directory.CreateTempSubdirectory("rawgan-st-").FullName;
        try
        {
            string path = Path.Combine(dir, "ckpt.safetensors");
            var good = Sample();
            good.Write(path);
            var bad = new SafeTensorsFile();
            bad.Add("w", [1f], [1]);
            bad.Metadata["broken"] = "\ud800"; // not encodable as UTF-8: the header cannot be written
            Assert.ThrowsAny<ArgumentException>(() => bad.Write(path));
            Assert.Equal(ToBytes(good), File.ReadAllBytes(path));
            Assert.Equal(["ckpt.safetensors"], Directory.GetFiles(dir).Select(Path.GetFileName));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    // ---------------------------------------------------------------------------------------
    // API misuse.

    [Fact]
    public void Add_RejectsInconsistentEntries()
    {
        var file = new SafeTensorsFile();
        file.Add("w", [1f, 2f], [2]);
        Assert.Contains("already present", Assert.Throws<ArgumentException>(() => file.Add("w", [1f], [1])).Message);
        Assert.Contains("reserved", Assert.Throws<ArgumentException>(() => file.Add("__metadata__", [1f], [1])).Message);
        Assert.Contains("needs 12 bytes, got 8", Assert.Throws<ArgumentException>(() => file.Add("x", [1f, 2f], [3])).Message);
        Assert.Contains("negative dimension", Assert.Throws<ArgumentException>(() => file.Add("x", Array.Empty<float>(), [-1, 0])).Message);
        Assert.Contains("more elements than one array holds",
            Assert.Throws<ArgumentException>(() => file.Add("x", [1f], [int.MaxValue, int.MaxValue, 2])).Message);
        Assert.Contains("unknown safetensors dtype 'F8'", Assert.Throws<ArgumentException>(() => file.Add("x", "F8", [1], [1])).Message);
        Assert.ThrowsAny<ArgumentException>(() => file.Add("lone\ud800", [1f], [1]));
        Assert.Equal(["w"], file.Entries.Select(e => e.Name));
    }

    [Fact]
    public void TypedAccessors_RefuseOtherDTypes_AndLookupsNameTheMissingTensor()
    {
        var file = Sample();
        Assert.Contains("is F64; ToFloatArray reads F32, F16 or BF16",
            Assert.Throws<InvalidOperationException>(() => file["f64"].ToFloatArray()).Message);
        Assert.Throws<InvalidOperationException>(() => file["conv.weight"].ToDoubleArray());
        Assert.Throws<InvalidOperationException>(() => file["i32"].ToInt64Array());
        Assert.Throws<InvalidOperationException>(() => file["steps"].ToInt32Array());
        Assert.Contains("no tensor 'nope' (has: conv.weight, f64,", Assert.Throws<KeyNotFoundException>(() => file["nope"]).Message);
        Assert.True(file.TryGet("u8", out var u8) && u8.ElementCount == 5);
        Assert.False(file.Contains("nope"));
    }

    /// <summary>A pipe-like stream: readable, not seekable, length unknown.</summary>
    private sealed class NonSeekableStream(byte[] bytes) : Stream
    {
        private readonly MemoryStream _inner = new(bytes);
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, Math.Min(count, 7));
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
