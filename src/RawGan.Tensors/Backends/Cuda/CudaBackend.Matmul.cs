using RawGan.Backends.Cuda.Interop;

namespace RawGan.Backends.Cuda;

// Matrix products through cuBLAS (cublasGemmStridedBatchedEx). cuBLAS is column-major; our
// matrices are row-major, and a row-major matrix read column-major is its transpose. So
// C = op(A) op(B) is computed as C^T = op(B)^T op(A)^T: cuBLAS gets B as its first operand and A
// as its second, each with its own transpose flag, and writes C^T column-major = C row-major.
// Products.Precision picks strict float32, TF32 tensor cores, or bfloat16 inputs (ProductPrecision).
public sealed partial class CudaBackend
{
    /// <summary>cuBLAS's recommended workspace on Hopper; smaller GPUs use less of it.</summary>
    private const long CublasWorkspaceBytes = 32L << 20;

    private readonly Lock _cublasGate = new();
    private cublasHandle_t? _cublas;

    private cublasHandle_t Cublas
    {
        get
        {
            lock (_cublasGate)
            {
                if (_cublas is { } handle) return handle;
                Interop.Cublas.Check(Interop.Cublas.cublasCreate_v2(out handle));
                Interop.Cublas.Check(Interop.Cublas.cublasSetStream_v2(handle, Stream));
                // Our own workspace, held for the backend's life: without one cuBLAS allocates per
                // stream behind our allocator's back (and not capturably in a CUDA graph).
                var workspace = Allocator.Allocate(CublasWorkspaceBytes, Stream);
                Interop.Cublas.Check(Interop.Cublas.cublasSetWorkspace_v2(handle, workspace.Pointer, (nuint)workspace.Size));
                // Default math: the compute type passed to each GEMM alone decides whether TF32 is used.
                Interop.Cublas.Check(Interop.Cublas.cublasSetMathMode(handle, cublasMath_t.CUBLAS_DEFAULT_MATH));
                _cublas = handle;
                return handle;
            }
        }
    }

    public unsafe void Matmul(Tensor c, Tensor a, Tensor b, bool transA, bool transB, double alpha = 1, double beta = 0)
    {
        Enter();
        foreach (var t in new[] { c, a, b })
        {
            if (t.Rank != 3) throw new ArgumentException($"Matmul: {t} must be [batch, rows, cols]");
            if (!Dense(t)) throw new ArgumentException($"Matmul: {t} must be contiguous");
        }
        int batch = c.Shape[0], m = c.Shape[1], n = c.Shape[2];
        int k = transA ? a.Shape[1] : a.Shape[2];
        if ((transA ? a.Shape[2] : a.Shape[1]) != m || (transB ? b.Shape[2] : b.Shape[1]) != k || (transB ? b.Shape[1] : b.Shape[2]) != n)
            throw new ArgumentException($"Matmul: shapes {RawGan.Shape.Format(a.Shape)}{(transA ? "^T" : "")} @ {RawGan.Shape.Format(b.Shape)}{(transB ? "^T" : "")} do not give {RawGan.Shape.Format(c.Shape)}");
        if ((a.Shape[0] != batch && a.Shape[0] != 1) || (b.Shape[0] != batch && b.Shape[0] != 1))
            throw new ArgumentException($"Matmul: batch sizes {a.Shape[0]} and {b.Shape[0]} do not give {batch}");
        if (c.NumEl == 0) return;
        if (k == 0)
        {
            // An empty sum: cuBLAS is not asked; C = beta C.
            if (beta == 0) Fill(c, 0);
            else Scalar(ScalarOp.Mul, c, c, beta);
            return;
        }

        float alphaF = (float)alpha, betaF = (float)beta;
        long strideA = a.Shape[0] == 1 ? 0 : (long)a.Shape[1] * a.Shape[2];
        long strideB = b.Shape[0] == 1 ? 0 : (long)b.Shape[1] * b.Shape[2];
        var precision = Products.Precision;
        var compute = precision == ProductPrecision.Tf32 ? cublasComputeType_t.CUBLAS_COMPUTE_32F_FAST_TF32 : cublasComputeType_t.CUBLAS_COMPUTE_32F;
        // Bf16: A and B are read from bfloat16 copies; C stays float32 (cuBLAS accumulates and scales in float32).
        bool bf16 = precision == ProductPrecision.Bf16;
        var inputType = bf16 ? cudaDataType.CUDA_R_16BF : cudaDataType.CUDA_R_32F;
        using var operands = new ProductOperands(this, bf16, nhwc: false);
        var (bp, ap) = (operands.In(b), operands.In(a)); // bf16 copies are made before the profile's span
        using var timed = Profiler.Active ? Profiler.Time($"cublas gemm {m}x{n}x{k}{(batch > 1 ? $", batch {batch}" : "")} ({precision.ToString().ToLowerInvariant()})") : default;
        Interop.Cublas.Check(Interop.Cublas.cublasGemmStridedBatchedEx(Cublas,
            transB ? cublasOperation_t.CUBLAS_OP_T : cublasOperation_t.CUBLAS_OP_N,
            transA ? cublasOperation_t.CUBLAS_OP_T : cublasOperation_t.CUBLAS_OP_N,
            n, m, k,
            &alphaF,
            bp, inputType, b.Shape[2], strideB,
            ap, inputType, a.Shape[2], strideA,
            &betaF,
            Ptr(c), cudaDataType.CUDA_R_32F, n, (long)m * n,
            batch, compute, cublasGemmAlgo_t.CUBLAS_GEMM_DEFAULT));
    }
}
