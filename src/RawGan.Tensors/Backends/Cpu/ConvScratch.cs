using System.Buffers;
using System.Numerics;

namespace RawGan.Backends.Cpu;

/// <summary>
/// Scratch arrays of the convolutions (column buffers, staging, partial sums). Small ones come from
/// .NET's shared ArrayPool, which hands a thread back the array it returned last, still in its cache.
/// Large ones (over 1M elements: torchfaces' 5x5 convolutions) from a free list of exact lengths: the
/// ArrayPool rounds them to powers of two and missed on them, 45 MB of fresh arrays per torchfaces
/// step and a working set 2.7x the memory in tensors.
/// </summary>
internal static class ConvScratch
{
    private const int Large = 1 << 20;

    private static readonly CpuAllocator LargeArrays = new();

    public static T[] Rent<T>(int length) where T : unmanaged, IFloatingPoint<T> =>
        length > Large ? LargeArrays.Rent<T>(length) : ArrayPool<T>.Shared.Rent(length);

    /// <summary>ArrayPool arrays for lengths up to Large are at most Large long; the others longer.</summary>
    public static void Return<T>(T[] array) where T : unmanaged
    {
        if (array.Length > Large) LargeArrays.Return(array);
        else ArrayPool<T>.Shared.Return(array);
    }
}
