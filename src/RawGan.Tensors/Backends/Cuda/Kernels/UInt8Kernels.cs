using RawGan.Backends.Cuda.Interop;

namespace RawGan.Backends.Cuda.Kernels;

/// <summary>The C# twin of <c>ByteValues</c> in kernels/uint8.cu: the float each byte value becomes.</summary>
internal unsafe struct ByteValues
{
    public fixed float Value[256];
}

/// <summary>Launcher of kernels/uint8.cu: bytes on the device widened to float32 through a table
/// (<see cref="CudaBackend.CopyFromHostUInt8"/>, the upload of image batches).</summary>
public static class UInt8Kernels
{
    public static readonly KernelRef ToFloat = new("uint8.cu", "uint8_to_f32");

    /// <summary>y[i] = values[x[i]] for n > 0 elements; values has 256 entries (UInt8Upload.Check).</summary>
    internal static unsafe void LaunchToFloat(KernelLibrary lib, CUdeviceptr y, CUdeviceptr x, int n, ReadOnlySpan<float> values)
    {
        var table = new ByteValues();
        values.CopyTo(new Span<float>(table.Value, 256));
        lib.Launch(ToFloat, lib.GridForVectorized(n), new Dim3(KernelLibrary.BlockSize), y, x, n, table);
    }
}
