namespace RawGan.Backends;

/// <summary>What every backend checks in <see cref="IBackend.CopyFromHostUInt8"/>.</summary>
internal static class UInt8Upload
{
    public static void Check(Tensor dst, int bytes, int values)
    {
        if (dst.DType != DType.Float32 || (dst.NumEl > 0 && !dst.IsContiguous))
            throw new ArgumentException($"CopyFromHostUInt8: the destination must be a contiguous float32 tensor, not {dst}");
        if (bytes != dst.NumEl)
            throw new ArgumentException($"CopyFromHostUInt8: {bytes} bytes for {dst} of {dst.NumEl} elements");
        if (values != 256)
            throw new ArgumentException($"CopyFromHostUInt8: {values} values, not one per byte value (256)");
    }
}
