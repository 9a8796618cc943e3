using System.Runtime.InteropServices;

namespace RawGan.Backends.Cuda;

/// <summary>
/// The C# twin of <c>StridedIndex3</c> in kernels/common.cuh: up to three same-shaped views with
/// their own strides (0 = broadcast), passed to a kernel by value. Dimensions of size 1 are
/// dropped and neighbours that every view walks as one block are merged, so a typical broadcast
/// needs two or three dimensions; the rest are right-aligned as the kernel expects.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct StridedIndex
{
    public const int MaxDims = 8;

    public int Rank;
    public fixed int Shape[MaxDims];
    public fixed int Stride0[MaxDims];
    public fixed int Stride1[MaxDims];
    public fixed int Stride2[MaxDims];

    /// <summary>The index of output <paramref name="out"/> over inputs <paramref name="in1"/> and
    /// (optionally) <paramref name="in2"/>, all of the output's shape.</summary>
    public static StridedIndex For(Tensor @out, Tensor in1, Tensor? in2 = null)
    {
        int rank = @out.Rank;
        var shape = new List<int>(rank);
        var s0 = new List<int>(rank);
        var s1 = new List<int>(rank);
        var s2 = new List<int>(rank);
        for (int d = 0; d < rank; d++)
        {
            int size = @out.Shape[d];
            if (size == 1) continue;
            int a = @out.Strides[d], b = in1.Strides[d], c = in2?.Strides[d] ?? 0;
            int last = shape.Count - 1;
            // The previous kept dimension and this one form one block when, for every view, a step
            // of the previous one equals `size` steps of this one.
            if (last >= 0 && s0[last] == a * size && s1[last] == b * size && s2[last] == c * size)
            {
                shape[last] *= size;
                s0[last] = a;
                s1[last] = b;
                s2[last] = c;
                continue;
            }
            shape.Add(size);
            s0.Add(a);
            s1.Add(b);
            s2.Add(c);
        }
        if (shape.Count > MaxDims)
            throw new NotSupportedException(
                $"the CUDA backend indexes at most {MaxDims} non-mergeable dimensions; shape {RawGan.Shape.Format(@out.Shape)} needs {shape.Count}");

        var index = new StridedIndex { Rank = shape.Count };
        int pad = MaxDims - shape.Count;
        for (int d = 0; d < MaxDims; d++)
        {
            bool used = d >= pad;
            index.Shape[d] = used ? shape[d - pad] : 1;
            index.Stride0[d] = used ? s0[d - pad] : 0;
            index.Stride1[d] = used ? s1[d - pad] : 0;
            index.Stride2[d] = used ? s2[d - pad] : 0;
        }
        return index;
    }
}
