using System.Buffers.Binary;

namespace RawGan.Serialization;

/// <summary>One named tensor of a safetensors file: dtype, shape, and its bytes stored
/// contiguous, row-major, little-endian. The typed accessors decode those bytes; each accepts
/// only dtypes it can convert exactly, so a float64 fixture is never silently narrowed.</summary>
public sealed class SafeTensorsEntry
{
    public string Name { get; }

    /// <summary>One of <see cref="SafeTensorsDType"/>'s strings, as written in the header.</summary>
    public string DType { get; }

    /// <summary>Dimensions, outermost first; empty for a scalar.</summary>
    public int[] Shape { get; }

    /// <summary>The raw little-endian element bytes.</summary>
    public byte[] Data { get; }

    /// <summary>Product of <see cref="Shape"/>: 1 for a scalar, 0 for an empty tensor.</summary>
    public int ElementCount => Data.Length / SafeTensorsDType.ElementSize(DType);

    /// <summary>Checks the invariants every entry keeps: known dtype, non-negative dims, data
    /// length equal to element count × element size.</summary>
    internal SafeTensorsEntry(string name, string dtype, byte[] data, int[] shape)
    {
        int size = SafeTensorsDType.ElementSize(dtype);
        string described = $"tensor '{name}' ({dtype} [{string.Join(", ", shape)}])";
        if (shape.Any(d => d < 0)) throw new ArgumentException($"{described}: negative dimension", nameof(shape));
        long bytes = ByteLength(shape, size);
        if (bytes < 0) throw new ArgumentException($"{described}: more elements than one array holds", nameof(shape));
        if (bytes != data.Length) throw new ArgumentException($"{described}: needs {bytes} bytes, got {data.Length}", nameof(data));
        Name = name;
        DType = dtype;
        Shape = shape;
        Data = data;
    }

    /// <summary>Element count × element size for non-negative dims, or -1 when that exceeds
    /// the largest byte array .NET allocates; never overflows, whatever the dims.</summary>
    internal static long ByteLength(ReadOnlySpan<int> shape, int elementSize)
    {
        if (shape.Contains(0)) return 0;
        long maxCount = Array.MaxLength / elementSize;
        long count = 1;
        foreach (int d in shape)
        {
            if (count > maxCount / d) return -1;
            count *= d;
        }
        return count * elementSize;
    }

    /// <summary>F32 as is; F16 and BF16 widened (exactly) to float.</summary>
    public float[] ToFloatArray()
    {
        var result = new float[ElementCount];
        switch (DType)
        {
            case SafeTensorsDType.F32:
                for (int i = 0; i < result.Length; i++) result[i] = BinaryPrimitives.ReadSingleLittleEndian(Data.AsSpan(4 * i));
                break;
            case SafeTensorsDType.F16:
                for (int i = 0; i < result.Length; i++) result[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(Data.AsSpan(2 * i));
                break;
            case SafeTensorsDType.BF16:
                // bfloat16 is the upper half of a float32's bits.
                for (int i = 0; i < result.Length; i++)
                    result[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(Data.AsSpan(2 * i)) << 16);
                break;
            default:
                throw WrongDType(nameof(ToFloatArray), "F32, F16 or BF16");
        }
        return result;
    }

    public double[] ToDoubleArray()
    {
        if (DType != SafeTensorsDType.F64) throw WrongDType(nameof(ToDoubleArray), SafeTensorsDType.F64);
        var result = new double[ElementCount];
        for (int i = 0; i < result.Length; i++) result[i] = BinaryPrimitives.ReadDoubleLittleEndian(Data.AsSpan(8 * i));
        return result;
    }

    public long[] ToInt64Array()
    {
        if (DType != SafeTensorsDType.I64) throw WrongDType(nameof(ToInt64Array), SafeTensorsDType.I64);
        var result = new long[ElementCount];
        for (int i = 0; i < result.Length; i++) result[i] = BinaryPrimitives.ReadInt64LittleEndian(Data.AsSpan(8 * i));
        return result;
    }

    public int[] ToInt32Array()
    {
        if (DType != SafeTensorsDType.I32) throw WrongDType(nameof(ToInt32Array), SafeTensorsDType.I32);
        var result = new int[ElementCount];
        for (int i = 0; i < result.Length; i++) result[i] = BinaryPrimitives.ReadInt32LittleEndian(Data.AsSpan(4 * i));
        return result;
    }

    public override string ToString() => $"{Name}: {DType} [{string.Join(", ", Shape)}]";

    private InvalidOperationException WrongDType(string accessor, string accepted) =>
        new($"tensor '{Name}' is {DType}; {accessor} reads {accepted}");
}
