using System.Numerics;

namespace RawGan.Tests;

/// <summary>
/// The naive triple loop the blocked GEMM replaced, kept as its oracle (tests) and its baseline (tools/GemmBench
/// compiles this file too). Row-major C = alpha op(A) op(B) + beta C; beta = 0 clears C without reading it.
/// </summary>
public static class GemmReference
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
