using System.Runtime.InteropServices;
using RawGan.Backends.Cuda;
using RawGan.Backends.Cuda.Interop;
using RawGan.Backends.Cuda.Kernels;

namespace RawGan.Tests;

/// <summary>
/// kernels/bf16.cu against BFloat16 bit for bit, and its layout kernels against a C# transpose:
/// ties, values beside ties, signed zeros, denormals, infinities, NaNs whose payload sits in the low
/// half, float.MaxValue, and random bit patterns; odd counts and pointers one element off 16-byte
/// alignment (the scalar path and tail); shapes whose c and hw are not multiples of the 32-wide tile.
/// The GPU tests skip on a machine where the CUDA backend cannot start; the argument checks run anywhere.
/// </summary>
[Collection(nameof(CudaGpu))]
public class CudaBf16Tests
{
    private readonly int _seed = Random.Shared.Next();

    /// <summary>Bit patterns that take every branch of the rounding (see BFloat16Tests for each one's answer).</summary>
    private static readonly uint[] Special =
    [
        0x3F80_8000, 0x3F81_8000, 0xBF80_8000, 0xBF81_8000, 0x3FFF_8000,       // ties
        0x3F80_8001, 0x3F80_7FFF, 0x3F81_8001, 0x3F81_7FFF,                    // beside ties
        0x0000_0000, 0x8000_0000,                                               // +0, -0
        0x0000_0001, 0x8000_0001, 0x0000_8000, 0x0001_8000, 0x007F_FFFF, 0x807F_FFFF, // denormals
        0x7F80_0000, 0xFF80_0000,                                               // +inf, -inf
        0x7F80_0001, 0xFF80_0001, 0x7FC0_0000, 0x7F81_0000, 0x7FFF_FFFF,       // NaNs
        0x7F7F_FFFF, 0xFF7F_FFFF, 0x7F7F_8000, 0x7F7F_7FFF,                    // the top: to inf or not
    ];

    // ---- plain casts ----

    [Theory]
    [InlineData(1027, 0, 0)]      // odd count: the vector path and a scalar tail of 3
    [InlineData(1027, 1, 0)]      // x one float off alignment: the scalar path
    [InlineData(1027, 0, 1)]      // y one bf16 off alignment: the scalar path
    [InlineData(4096, 0, 0)]      // whole float4s only
    [InlineData(3, 0, 0)]         // all tail
    [InlineData(1 << 20, 0, 0)]   // enough for the two-per-step loop of a full grid
    public void F32ToBf16_MatchesBFloat16_BitForBit(int n, int xOffset, int yOffset)
    {
        var cuda = CudaGpu.Require();
        using var scope = new TensorScope();
        var x = Floats(n);
        var gx = Upload(MemoryMarshal.AsBytes(Pad(x, xOffset)));
        var gy = Tensor.Zeros([(n + yOffset + 1) / 2], DType.Float32, Device.Cuda);
        Bf16Kernels.LaunchToBf16(cuda.Kernels, At(gy, yOffset * 2), At(gx, xOffset * 4), 1, 1, n, nhwc: false);
        var y = MemoryMarshal.Cast<byte, ushort>(gy.ToBytes()).Slice(yOffset, n);
        for (int i = 0; i < n; i++)
            if (y[i] != BFloat16.ToBits(x[i]))
                Assert.Fail($"f32_to_bf16 n {n} (x +{xOffset}, y +{yOffset}) [{i}]: 0x{Bits(x[i]):X8} gave 0x{y[i]:X4}, BFloat16 0x{BFloat16.ToBits(x[i]):X4} (seed {_seed})");
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(1, 0)]
    [InlineData(0, 1)]
    public void Bf16ToF32_IsExact_ForEveryBf16Value(int xOffset, int yOffset)
    {
        var cuda = CudaGpu.Require();
        using var scope = new TensorScope();
        // All 65536 patterns and three more: an odd count with a tail.
        int n = 65536 + 3;
        var x = new ushort[n];
        for (int i = 0; i < n; i++) x[i] = (ushort)i;
        var gx = Upload(MemoryMarshal.AsBytes(Pad(x, xOffset)));
        var gy = Tensor.Zeros([n + yOffset], DType.Float32, Device.Cuda);
        Bf16Kernels.LaunchFromBf16(cuda.Kernels, At(gy, yOffset * 4), At(gx, xOffset * 2), 1, n, 1, nhwc: false);
        var y = MemoryMarshal.Cast<byte, uint>(gy.ToBytes()).Slice(yOffset, n);
        for (int i = 0; i < n; i++)
            if (y[i] != Bits(BFloat16.FromBits(x[i])))
                Assert.Fail($"bf16_to_f32 (x +{xOffset}, y +{yOffset}) [{i}]: 0x{x[i]:X4} gave 0x{y[i]:X8}, BFloat16 0x{Bits(BFloat16.FromBits(x[i])):X8}");
    }

    // ---- layout casts ----

    public static TheoryData<int, int, int> Shapes => new()
    {
        { 3, 5, 37 },      // c and hw both below and across a tile edge
        { 2, 64, 1 },      // a latent vector: one pixel, two tiles of channels
        { 4, 1, 50 },      // one channel
        { 2, 33, 65 },     // one past whole tiles in both directions
        { 1, 3, 4096 },    // an RGB image
        { 8, 128, 16 },    // OIHW weights of a 4x4 convolution, as [o][i][kh kw]
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void NchwF32ToNhwcBf16_IsBFloat16OfTheTranspose(int n, int c, int hw)
    {
        var cuda = CudaGpu.Require();
        using var scope = new TensorScope();
        int count = n * c * hw;
        var x = Floats(count);
        var gx = Upload(MemoryMarshal.AsBytes(x.AsSpan()));
        var gy = Tensor.Zeros([(count + 1) / 2], DType.Float32, Device.Cuda);
        Bf16Kernels.LaunchToBf16(cuda.Kernels, CudaBackend.Ptr(gy), CudaBackend.Ptr(gx), n, c, hw, nhwc: true);
        var y = MemoryMarshal.Cast<byte, ushort>(gy.ToBytes());
        for (int b = 0; b < n; b++)
            for (int ch = 0; ch < c; ch++)
                for (int p = 0; p < hw; p++)
                {
                    float v = x[(b * c + ch) * hw + p];
                    ushort got = y[(b * hw + p) * c + ch];
                    if (got != BFloat16.ToBits(v))
                        Assert.Fail($"nchw_f32_to_nhwc_bf16 [{n}, {c}, {hw}] at n {b} c {ch} hw {p}: 0x{Bits(v):X8} gave 0x{got:X4}, BFloat16 0x{BFloat16.ToBits(v):X4} (seed {_seed})");
                }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void NhwcBf16ToNchwF32_IsTheExactTranspose(int n, int c, int hw)
    {
        var cuda = CudaGpu.Require();
        using var scope = new TensorScope();
        int count = n * c * hw;
        var rng = new Random(_seed);
        var x = new ushort[count];
        for (int i = 0; i < count; i++) x[i] = (ushort)rng.Next(65536); // NaNs and infinities included
        var gx = Upload(MemoryMarshal.AsBytes(x.AsSpan()));
        var gy = Tensor.Zeros([count], DType.Float32, Device.Cuda);
        Bf16Kernels.LaunchFromBf16(cuda.Kernels, CudaBackend.Ptr(gy), CudaBackend.Ptr(gx), n, c, hw, nhwc: true);
        var y = MemoryMarshal.Cast<byte, uint>(gy.ToBytes());
        for (int b = 0; b < n; b++)
            for (int ch = 0; ch < c; ch++)
                for (int p = 0; p < hw; p++)
                {
                    ushort v = x[(b * hw + p) * c + ch];
                    uint got = y[(b * c + ch) * hw + p];
                    if (got != (uint)v << 16)
                        Assert.Fail($"nhwc_bf16_to_nchw_f32 [{n}, {c}, {hw}] at n {b} c {ch} hw {p}: 0x{v:X4} gave 0x{got:X8} (seed {_seed})");
                }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ToBf16ThenBack_IsBFloat16Round(bool nhwc)
    {
        var cuda = CudaGpu.Require();
        using var scope = new TensorScope();
        const int n = 3, c = 40, hw = 49;
        var x = Floats(n * c * hw);
        var gx = Upload(MemoryMarshal.AsBytes(x.AsSpan()));
        var half = Tensor.Zeros([(x.Length + 1) / 2], DType.Float32, Device.Cuda);
        var back = Tensor.Zeros([x.Length], DType.Float32, Device.Cuda);
        Bf16Kernels.LaunchToBf16(cuda.Kernels, CudaBackend.Ptr(half), CudaBackend.Ptr(gx), n, c, hw, nhwc);
        Bf16Kernels.LaunchFromBf16(cuda.Kernels, CudaBackend.Ptr(back), CudaBackend.Ptr(half), n, c, hw, nhwc);
        var y = MemoryMarshal.Cast<byte, uint>(back.ToBytes());
        for (int i = 0; i < x.Length; i++)
            Assert.True(y[i] == Bits(BFloat16.Round(x[i])), $"bf16 round trip ({(nhwc ? "NHWC" : "NCHW")}) [{i}]: 0x{Bits(x[i]):X8} gave 0x{y[i]:X8}, BFloat16.Round 0x{Bits(BFloat16.Round(x[i])):X8} (seed {_seed})");
    }

    // ---- the launchers' checks (no GPU needed: they come before the library is touched) ----

    [Theory]
    [InlineData(-1, 1, 1, false)]
    [InlineData(1, -1, 1, true)]
    [InlineData(1, 1, -1, false)]
    [InlineData(65536, 32768, 2, false)]    // 2^32 elements
    [InlineData(int.MaxValue, int.MaxValue, int.MaxValue, true)]
    [InlineData(65536, 1, 1, true)]         // past the grid's z
    [InlineData(1, 65535 * 32 + 1, 1, true)] // past the grid's y
    public void Launchers_RejectSizes_TheKernelsCannotTake(int n, int c, int hw, bool nhwc)
    {
        var to = Assert.Throws<ArgumentException>(() => Bf16Kernels.LaunchToBf16(null!, default, default, n, c, hw, nhwc));
        var from = Assert.Throws<ArgumentException>(() => Bf16Kernels.LaunchFromBf16(null!, default, default, n, c, hw, nhwc));
        Assert.Contains(nhwc ? "nchw_f32_to_nhwc_bf16" : "f32_to_bf16", to.Message);
        Assert.Contains(nhwc ? "nhwc_bf16_to_nchw_f32" : "bf16_to_f32", from.Message);
    }

    [Theory]
    [InlineData(0, 3, 5, true)]
    [InlineData(70000, 0, 5, true)]  // no elements: no grid, so no grid limit
    [InlineData(2, 3, 0, false)]
    public void Launchers_LaunchNothing_ForNoElements(int n, int c, int hw, bool nhwc)
    {
        // A null library would throw at a launch.
        Bf16Kernels.LaunchToBf16(null!, default, default, n, c, hw, nhwc);
        Bf16Kernels.LaunchFromBf16(null!, default, default, n, c, hw, nhwc);
    }

    // ---- helpers ----

    /// <summary>The special patterns, then random bit patterns (every exponent, NaNs too) and
    /// random normals (the values a network holds).</summary>
    private float[] Floats(int n)
    {
        var rng = new Random(_seed);
        var x = new float[n];
        for (int i = 0; i < n; i++)
            x[i] = i < Special.Length ? F(Special[i])
                : i % 2 == 0 ? F((uint)rng.NextInt64(0, 1L << 32))
                : (float)(Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble()));
        return x;
    }

    /// <summary>values after `offset` zeros, so a pointer `offset` elements in starts them.</summary>
    private static T[] Pad<T>(T[] values, int offset) where T : unmanaged
    {
        var padded = new T[offset + values.Length];
        values.CopyTo(padded, offset);
        return padded;
    }

    /// <summary>A float32 CUDA tensor holding bytes (zero-padded to whole floats): the CUDA backend
    /// stores float32 only, so bf16 buffers ride in float32 tensors of half the count.</summary>
    private static Tensor Upload(ReadOnlySpan<byte> bytes)
    {
        var padded = new byte[(bytes.Length + 3) / 4 * 4];
        bytes.CopyTo(padded);
        return Tensor.FromBytes(padded, [padded.Length / 4], DType.Float32, Device.Cuda);
    }

    private static CUdeviceptr At(Tensor t, int bytes) => CudaBackend.Ptr(t).Offset(bytes);

    private static float F(uint bits) => BitConverter.UInt32BitsToSingle(bits);

    private static uint Bits(float value) => BitConverter.SingleToUInt32Bits(value);
}
