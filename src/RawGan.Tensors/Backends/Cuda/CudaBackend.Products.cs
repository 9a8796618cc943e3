using RawGan.Backends.Cuda.Interop;
using RawGan.Backends.Cuda.Kernels;

namespace RawGan.Backends.Cuda;

// Operands of products (convolutions, matrix products) in the precision they are computed in:
// under ProductPrecision.Bf16, bfloat16 copies made by kernels/bf16.cu.
public sealed partial class CudaBackend
{
    /// <summary>
    /// The operands of one cuDNN or cuBLAS call as it reads and writes them. In float32 they are the
    /// tensors themselves. In bfloat16, inputs are converted into scratch copies (and, for a
    /// convolution's 4-d operands, transposed to NHWC when the layout says so) and outputs are written
    /// to scratch, then widened into their tensors by <see cref="WriteOutputs"/>. Scratch and
    /// workspace go back to the allocator on dispose, which the stream's order makes safe at once.
    /// </summary>
    private sealed class ProductOperands(CudaBackend backend, bool bf16, bool nhwc) : IDisposable
    {
        private readonly List<CudaAllocator.Block> _blocks = [];
        private readonly List<(Tensor Tensor, CUdeviceptr Copy)> _outputs = [];

        public CUdeviceptr In(Tensor t)
        {
            if (!bf16) return Ptr(t);
            var copy = Scratch((long)t.NumEl * sizeof(ushort));
            var (n, c, hw) = Dims(t);
            Bf16Kernels.LaunchToBf16(backend.Kernels, copy, Ptr(t), n, c, hw, nhwc);
            return copy;
        }

        public CUdeviceptr Out(Tensor t)
        {
            if (!bf16) return Ptr(t);
            var copy = Scratch((long)t.NumEl * sizeof(ushort));
            _outputs.Add((t, copy));
            return copy;
        }

        public CUdeviceptr Workspace(nuint bytes) => Scratch((long)bytes);

        public void WriteOutputs()
        {
            foreach (var (t, copy) in _outputs)
            {
                var (n, c, hw) = Dims(t);
                Bf16Kernels.LaunchFromBf16(backend.Kernels, Ptr(t), copy, n, c, hw, nhwc);
            }
        }

        public void Dispose()
        {
            foreach (var block in _blocks) backend.Allocator.Free(block);
            _blocks.Clear();
        }

        /// <summary>NCHW as the layout kernels see it; a plain cast needs only the count.</summary>
        private (int N, int C, int HW) Dims(Tensor t) => nhwc ? (t.Shape[0], t.Shape[1], t.Shape[2] * t.Shape[3]) : (1, t.NumEl, 1);

        private CUdeviceptr Scratch(long bytes)
        {
            var block = backend.Allocator.Allocate(bytes, backend.Stream);
            _blocks.Add(block);
            return block.Pointer;
        }
    }
}
