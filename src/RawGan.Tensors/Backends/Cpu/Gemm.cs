using System.Numerics;

namespace RawGan.Backends.Cpu;

/// <summary>Row-major C = alpha op(A) op(B) + beta C, the kernel under matmul and convolution.</summary>
internal static class Gemm
{
    public static void Run<T>(bool transA, bool transB, int m, int n, int k,
        T alpha, ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb, T beta, Span<T> c, int ldc)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < m; i++)
        {
            var row = c.Slice(i * ldc, n);
            if (T.IsZero(beta)) row.Clear();
            else for (int j = 0; j < n; j++) row[j] *= beta;
            for (int p = 0; p < k; p++)
            {
                var aip = alpha * (transA ? a[p * lda + i] : a[i * lda + p]);
                if (transB) for (int j = 0; j < n; j++) row[j] += aip * b[j * ldb + p];
                else
                {
                    var brow = b.Slice(p * ldb, n);
                    for (int j = 0; j < n; j++) row[j] += aip * brow[j];
                }
            }
        }
    }
}
