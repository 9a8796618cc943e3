using System.Runtime.InteropServices;
using RawGan.Backends.Cuda.Interop;

namespace RawGan.Backends.Cuda.Kernels;

/// <summary>One tensor of a multi-tensor launch: its element count and its arrays (param, grad, then up
/// to two of the optimizer's state; <see cref="CUdeviceptr.Null"/> where there is none).</summary>
public readonly record struct TensorArrays(int Length, CUdeviceptr Param, CUdeviceptr Grad, CUdeviceptr State0, CUdeviceptr State1);

/// <summary>
/// The C# twin of <c>TensorList</c> in kernels/multi_tensor.cuh, passed to a kernel by value: block b
/// of the launch works on chunk b - BlockStart[t] of the tensor t whose blocks hold b.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct TensorList
{
    /// <summary>RG_TENSOR_LIST_MAX, RG_TENSOR_LIST_ARRAYS and RG_TENSOR_CHUNK of the kernel header.</summary>
    public const int Capacity = 100, Arrays = 4, ChunkElements = 4096;

    public int Count;
    public fixed int BlockStart[Capacity];
    public fixed int Length[Capacity];
    public fixed ulong Pointers[Arrays * Capacity]; // the kernel's float* ptr[Arrays][Capacity], row by row

    /// <summary>The launches that cover <paramref name="tensors"/>, in order, at most <see cref="Capacity"/>
    /// tensors each, with each launch's number of blocks. Empty tensors get no block.</summary>
    public static List<(TensorList List, uint Blocks)> Launches(IReadOnlyList<TensorArrays> tensors)
    {
        var launches = new List<(TensorList, uint)>();
        var list = new TensorList();
        int blocks = 0;
        foreach (var t in tensors)
        {
            if (t.Length == 0) continue;
            if (list.Count == Capacity)
            {
                launches.Add((list, (uint)blocks));
                (list, blocks) = (new TensorList(), 0);
            }
            int i = list.Count++;
            list.BlockStart[i] = blocks;
            list.Length[i] = t.Length;
            list.Pointers[i] = t.Param.Value;
            list.Pointers[Capacity + i] = t.Grad.Value;
            list.Pointers[2 * Capacity + i] = t.State0.Value;
            list.Pointers[3 * Capacity + i] = t.State1.Value;
            blocks += (int)(((long)t.Length + ChunkElements - 1) / ChunkElements);
        }
        if (list.Count > 0) launches.Add((list, (uint)blocks));
        return launches;
    }
}
