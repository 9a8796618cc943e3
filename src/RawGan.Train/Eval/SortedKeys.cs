using System.Runtime.Intrinsics;

namespace RawGan.Eval;

/// <summary>
/// Floats as unsigned keys that sort in the floats' order (flip all bits of negatives, the sign bit
/// of the rest), a radix sort of such keys, and the sum of |a_i - b_i| over two sorted columns: the
/// 1-D Wasserstein-1 distance between equal-size samples times their size. SWD sorts 512 columns of
/// 128 values per image per level per set; this is most of its time after the projections.
/// <para>
/// Columns that fit the L2 cache get a least-significant-digit radix sort (11 + 11 + 10 bits, one
/// counting pass, three scatter passes, a pass skipped when every key has the same digit). Larger
/// ones are first split on their top 13 bits (sign, exponent and 4 mantissa bits: 16 buckets per
/// octave, so projections, which crowd a few octaves, land in buckets that fit the cache); each
/// bucket is then sorted on its other 19 bits the same way (10 + 9 bits), or by insertion when small.
/// At 2M keys (16,384 images) the split is about 15% faster; below 256K keys the plain sort is 30% faster.
/// </para>
/// </summary>
public static unsafe class SortedKeys
{
    const int HighBits = 13, LowBits0 = 10, LowBits1 = 9;
    const int HighBuckets = 1 << HighBits, LowBuckets0 = 1 << LowBits0, LowBuckets1 = 1 << LowBits1;
    const int Digit = 11, DigitBuckets = 1 << Digit;
    const int InsertionLimit = 48;

    /// <summary>Columns of at most this many keys (1 MB) are sorted in three passes, larger ones split first.</summary>
    public const int SplitAbove = 1 << 18;

    /// <summary>Ints of the counts buffer <see cref="Sort"/> needs.</summary>
    public const int CountsLength = HighBuckets + LowBuckets0 + LowBuckets1;

    public static uint ToKey(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        return bits ^ ((uint)((int)bits >> 31) | 0x80000000u);
    }

    public static float FromKey(uint key) =>
        BitConverter.UInt32BitsToSingle(key ^ (~(uint)((int)key >> 31) | 0x80000000u));

    /// <summary>
    /// Sorts <paramref name="keys"/> ascending, using <paramref name="scratch"/> (at least as long) and
    /// <paramref name="counts"/> (<see cref="CountsLength"/> ints). Returns whichever of the two holds
    /// the result, trimmed to the keys' length; the other is left as garbage.
    /// </summary>
    public static Span<uint> Sort(Span<uint> keys, Span<uint> scratch, Span<int> counts)
    {
        int n = keys.Length;
        if (scratch.Length < n) throw new ArgumentException($"scratch needs {n} keys, got {scratch.Length}", nameof(scratch));
        if (counts.Length < CountsLength) throw new ArgumentException($"counts needs {CountsLength} ints", nameof(counts));
        scratch = scratch[..n];
        fixed (uint* k = keys, t = scratch)
        fixed (int* c = counts)
            return (n <= SplitAbove ? SortDigits(k, t, n, c) : SortSplit(k, t, n, c)) ? keys : scratch;
    }

    /// <summary>LSD radix sort on 11 + 11 + 10 bits; true when the result ended in <paramref name="data"/>.</summary>
    static bool SortDigits(uint* data, uint* other, int n, int* counts)
    {
        int* count0 = counts, count1 = counts + DigitBuckets, count2 = counts + 2 * DigitBuckets;
        new Span<int>(counts, 3 * DigitBuckets).Clear();
        for (int i = 0; i < n; i++)
        {
            uint key = data[i];
            count0[key & (DigitBuckets - 1)]++;
            count1[(key >> Digit) & (DigitBuckets - 1)]++;
            count2[key >> (2 * Digit)]++;
        }
        uint* source = data, target = other;
        if (Scatter(source, target, n, count0, DigitBuckets, 0, DigitBuckets - 1)) Swap(ref source, ref target);
        if (Scatter(source, target, n, count1, DigitBuckets, Digit, DigitBuckets - 1)) Swap(ref source, ref target);
        if (Scatter(source, target, n, count2, 1 << (32 - 2 * Digit), 2 * Digit, (1u << (32 - 2 * Digit)) - 1)) source = target;
        return source == data;
    }

    /// <summary>Splits on the top 13 bits into <paramref name="other"/>, then sorts each bucket there;
    /// the result always ends in <paramref name="other"/> (returns false).</summary>
    static bool SortSplit(uint* data, uint* other, int n, int* counts)
    {
        int* high = counts, low0 = counts + HighBuckets, low1 = low0 + LowBuckets0;
        new Span<int>(high, HighBuckets).Clear();
        for (int i = 0; i < n; i++) high[data[i] >> (32 - HighBits)]++;
        int running = 0;
        for (int b = 0; b < HighBuckets; b++) (high[b], running) = (running, running + high[b]);
        for (int i = 0; i < n; i++)
        {
            uint key = data[i];
            other[high[key >> (32 - HighBits)]++] = key;
        }
        // high[b] now holds the end of bucket b, which is where bucket b + 1 starts.
        int start = 0;
        for (int b = 0; b < HighBuckets; b++)
        {
            int end = high[b], size = end - start;
            if (size > InsertionLimit) SortLowBits(other + start, data + start, size, low0, low1);
            else if (size > 1) InsertionSort(other + start, size);
            start = end;
        }
        return false;
    }

    /// <summary>LSD radix sort of one bucket on bits 0..18 (its top 13 are equal), ending in place.</summary>
    static void SortLowBits(uint* data, uint* other, int n, int* count0, int* count1)
    {
        new Span<int>(count0, LowBuckets0).Clear();
        new Span<int>(count1, LowBuckets1).Clear();
        for (int i = 0; i < n; i++)
        {
            uint key = data[i];
            count0[key & (LowBuckets0 - 1)]++;
            count1[(key >> LowBits0) & (LowBuckets1 - 1)]++;
        }
        uint* source = data, target = other;
        if (Scatter(source, target, n, count0, LowBuckets0, 0, LowBuckets0 - 1)) Swap(ref source, ref target);
        if (Scatter(source, target, n, count1, LowBuckets1, LowBits0, LowBuckets1 - 1)) source = target;
        if (source != data) new Span<uint>(source, n).CopyTo(new Span<uint>(data, n));
    }

    /// <summary>One stable counting pass on the digit (key >> shift) &amp; mask, given the digit's counts;
    /// false (nothing moved) when every key has the same digit.</summary>
    static bool Scatter(uint* source, uint* target, int n, int* counts, int buckets, int shift, uint mask)
    {
        int running = 0;
        for (int b = 0; b < buckets; b++)
        {
            if (counts[b] == n) return false;
            (counts[b], running) = (running, running + counts[b]);
        }
        for (int i = 0; i < n; i++)
        {
            uint key = source[i];
            target[counts[(key >> shift) & mask]++] = key;
        }
        return true;
    }

    static void Swap(ref uint* a, ref uint* b)
    {
        uint* t = a;
        a = b;
        b = t;
    }

    static void InsertionSort(uint* data, int n)
    {
        for (int i = 1; i < n; i++)
        {
            uint key = data[i];
            int j = i - 1;
            while (j >= 0 && data[j] > key)
            {
                data[j + 1] = data[j];
                j--;
            }
            data[j + 1] = key;
        }
    }

    /// <summary>Σ |FromKey(a_i) - FromKey(b_i)| over two key columns of equal length, in double.</summary>
    public static double AbsoluteDifferenceSum(ReadOnlySpan<uint> a, ReadOnlySpan<uint> b)
    {
        if (a.Length != b.Length) throw new ArgumentException($"columns of {a.Length} and {b.Length} keys", nameof(b));
        const int Chunk = 1024; // float partial sums stay exact enough over this many terms
        double total = 0;
        var top = Vector256.Create(unchecked((int)0x80000000u));
        fixed (uint* pa = a, pb = b)
        {
            int i = 0;
            while (i < a.Length)
            {
                int end = Math.Min(a.Length, i + Chunk);
                var sum = Vector256<float>.Zero;
                for (; i + 8 <= end; i += 8)
                {
                    var ka = Vector256.Load((int*)pa + i);
                    var kb = Vector256.Load((int*)pb + i);
                    var fa = (ka ^ (~Vector256.ShiftRightArithmetic(ka, 31) | top)).AsSingle();
                    var fb = (kb ^ (~Vector256.ShiftRightArithmetic(kb, 31) | top)).AsSingle();
                    sum += Vector256.Abs(fa - fb);
                }
                double partial = Vector256.Sum(sum);
                for (; i < end; i++) partial += Math.Abs(FromKey(pa[i]) - FromKey(pb[i]));
                total += partial;
            }
        }
        return total;
    }
}
