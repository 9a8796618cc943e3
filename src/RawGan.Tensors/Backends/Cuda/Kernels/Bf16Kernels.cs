using RawGan.Backends.Cuda.Interop;

namespace RawGan.Backends.Cuda.Kernels;

/// <summary>
/// Launchers of kernels/bf16.cu: float32 to bfloat16 (<see cref="BFloat16.ToBits"/>, bit for bit)
/// and back, optionally moving NCHW to NHWC in the same pass, for cuDNN's bf16 convolutions. A
/// bf16 buffer is n c hw unsigned shorts, no tensor: the CUDA backend stores float32 only.
/// </summary>
public static class Bf16Kernels
{
    public static readonly KernelRef ToBf16 = new("bf16.cu", "f32_to_bf16");
    public static readonly KernelRef FromBf16 = new("bf16.cu", "bf16_to_f32");
    public static readonly KernelRef NchwToNhwcBf16 = new("bf16.cu", "nchw_f32_to_nhwc_bf16");
    public static readonly KernelRef NhwcBf16ToNchw = new("bf16.cu", "nhwc_bf16_to_nchw_f32");

    /// <summary>The side of the layout kernels' square tile and the rows of their block: BF16_TILE and BF16_ROWS in kernels/bf16.cu.</summary>
    private const int Tile = 32, TileRows = 8;

    /// <summary>x: n c hw float32 in NCHW; y: the same as bf16, in NCHW (a plain cast) or NHWC.</summary>
    internal static void LaunchToBf16(KernelLibrary lib, CUdeviceptr y, CUdeviceptr x, int n, int c, int hw, bool nhwc) =>
        Launch(lib, nhwc ? NchwToNhwcBf16 : ToBf16, y, x, n, c, hw, nhwc);

    /// <summary>x: n c hw bf16 in NCHW (nhwc false) or NHWC (nhwc true); y: the same as float32 in NCHW.</summary>
    internal static void LaunchFromBf16(KernelLibrary lib, CUdeviceptr y, CUdeviceptr x, int n, int c, int hw, bool nhwc) =>
        Launch(lib, nhwc ? NhwcBf16ToNchw : FromBf16, y, x, n, c, hw, nhwc);

    private static void Launch(KernelLibrary lib, KernelRef k, CUdeviceptr y, CUdeviceptr x, int n, int c, int hw, bool nhwc)
    {
        int count = Count(k, n, c, hw, nhwc);
        if (count == 0) return;
        if (nhwc)
        {
            var grid = new Dim3((uint)((hw + Tile - 1L) / Tile), (uint)((c + Tile - 1L) / Tile), (uint)n);
            lib.Launch(k, grid, new Dim3(Tile, TileRows), y, x, c, hw);
        }
        else
        {
            lib.Launch(k, lib.GridForVectorized(count), new Dim3(KernelLibrary.BlockSize), y, x, count);
        }
    }

    /// <summary>n c hw, checked: the kernels index with ints, and the layout kernels put n in the
    /// grid's z (at most 65535) and c / 32 in its y (likewise); with no elements nothing is launched.</summary>
    private static int Count(KernelRef k, int n, int c, int hw, bool nhwc)
    {
        if (n < 0 || c < 0 || hw < 0)
            throw new ArgumentException($"{k.Name}: sizes must not be negative (n {n}, c {c}, hw {hw})");
        Int128 count = (Int128)n * c * hw; // three ints can overflow a long
        if (count > int.MaxValue)
            throw new ArgumentException($"{k.Name}: n {n} x c {c} x hw {hw} = {count} elements, more than {int.MaxValue}");
        if (count == 0 || !nhwc) return (int)count;
        if (n > 65535)
            throw new ArgumentException($"{k.Name}: n {n} is more than 65535, the grid's z limit (split the batch)");
        if (c > 65535 * Tile)
            throw new ArgumentException($"{k.Name}: c {c} is more than {65535 * Tile}: its tiles of {Tile} channels pass the grid's y limit of 65535");
        return (int)count;
    }
}
