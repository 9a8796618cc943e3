using System.Buffers;
using System.Numerics;
using System.Runtime.Intrinsics;

namespace RawGan.Backends.Cpu;

// Design (BLIS-style): C is cut into column blocks × row ranges, run in parallel when the product is big; each
// walks k in Kc slices, packs op(B) (and op(A) = Aᵀ) into pooled micro-panel buffers and runs a 6 × 2-vector FMA
// micro-kernel (Vector512, Vector256 or Vector<T>) per micro-tile, reading A in place when its rows are contiguous.

/// <summary>Row-major C = alpha op(A) op(B) + beta C, the kernel under matmul and convolution.</summary>
internal static unsafe class Gemm
{
    /// <summary>The widest SIMD the runtime accelerates; <see cref="Run{T}(bool, bool, int, int, int, T, ReadOnlySpan{T}, int, ReadOnlySpan{T}, int, T, Span{T}, int)"/> uses it.</summary>
    public static GemmIsa BestIsa { get; } =
        Vector512.IsHardwareAccelerated ? GemmIsa.Vector512
        : Vector256.IsHardwareAccelerated ? GemmIsa.Vector256
        : GemmIsa.Vector;

    /// <summary>
    /// Below this many multiply-adds a product stays on the calling thread: waking pool threads costs some
    /// microseconds, about what 1M multiply-adds take on one core, so at 4M it is at most a quarter of the gain.
    /// </summary>
    internal const long ParallelMinMacs = 1L << 22;

    /// <summary>
    /// op(X) is X or Xᵀ; op(A) is m × k, op(B) is k × n, C is m × n, each row-major with leading dimension
    /// (elements between row starts) lda, ldb, ldc. beta = 0 means C is only written (it may hold NaN);
    /// alpha = 0 or k = 0 means A and B are not read (BLAS semantics). C must not overlap A or B.
    /// </summary>
    public static void Run<T>(bool transA, bool transB, int m, int n, int k,
        T alpha, ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb, T beta, Span<T> c, int ldc)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Run(BestIsa, Environment.ProcessorCount, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);

    /// <summary>As the public overload, with the SIMD width and the thread budget chosen by the caller (tests, benchmarks).</summary>
    internal static void Run<T>(GemmIsa isa, int maxThreads, bool transA, bool transB, int m, int n, int k,
        T alpha, ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb, T beta, Span<T> c, int ldc)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) != typeof(float) && typeof(T) != typeof(double))
            throw new NotSupportedException($"GEMM runs on float and double, not {typeof(T).Name}");
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxThreads, 1);
        CheckOperand(nameof(a), a.Length, transA ? k : m, transA ? m : k, lda);
        CheckOperand(nameof(b), b.Length, transB ? n : k, transB ? k : n, ldb);
        CheckOperand(nameof(c), c.Length, m, n, ldc);
        if (m == 0 || n == 0) return;
        if (k == 0 || T.IsZero(alpha))
        {
            Scale(c, m, n, ldc, beta);
            return;
        }

        fixed (T* pa = a)
        fixed (T* pb = b)
        fixed (T* pc = c)
        {
            var job = new Job<T>(pa, lda, transA, pb, ldb, transB, pc, ldc, m, n, k, alpha, beta);
            switch (isa)
            {
                case GemmIsa.Vector512: Drive<T, Vector512<T>, GemmSimd512<T>>(job, maxThreads); break;
                case GemmIsa.Vector256: Drive<T, Vector256<T>, GemmSimd256<T>>(job, maxThreads); break;
                default: Drive<T, Vector<T>, GemmSimdVector<T>>(job, maxThreads); break;
            }
        }
    }

    /// <summary>A rows × cols row-major operand with leading dimension ld must fit in its span.</summary>
    private static void CheckOperand(string name, int length, int rows, int cols, int ld)
    {
        if (ld < Math.Max(1, cols))
            throw new ArgumentOutOfRangeException($"ld{name}", ld, $"leading dimension of {name} is below its {cols} columns");
        if (rows > 0 && cols > 0 && length < (long)(rows - 1) * ld + cols)
            throw new ArgumentException($"{name} holds {length} elements, a {rows}×{cols} matrix with ld {ld} needs {(long)(rows - 1) * ld + cols}", name);
    }

    /// <summary>C = beta C, where beta = 0 clears C without reading it.</summary>
    private static void Scale<T>(Span<T> c, int m, int n, int ldc, T beta) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < m; i++)
        {
            var row = c.Slice(i * ldc, n);
            if (T.IsZero(beta)) row.Clear();
            else for (int j = 0; j < n; j++) row[j] *= beta;
        }
    }

    /// <summary>Everything a task needs, as raw pointers so tasks can run on pool threads.</summary>
    private readonly struct Job<T>(T* a, int lda, bool transA, T* b, int ldb, bool transB, T* c, int ldc,
        int m, int n, int k, T alpha, T beta) where T : unmanaged
    {
        public readonly T* A = a, B = b, C = c;
        public readonly int Lda = lda, Ldb = ldb, Ldc = ldc, M = m, N = n, K = k;
        public readonly bool TransA = transA, TransB = transB;
        public readonly T Alpha = alpha, Beta = beta;
    }

    // Cache blocking: a 6 × Kc A micro-panel stays in L1 while the Kc × 2-vector B micro-panels stream past it
    // from the Kc × Nc packed B block in L2; Mc rows of C bound how much of A one pass touches. Kc and Nc are in
    // bytes (elements = bytes / sizeof(T)), sized for 32-48 KiB of L1 and 1 MiB of L2 per core.
    private const int KcBytes = 1024, McRows = 144, NcBytes = 2048;

    /// <summary>
    /// op(A) = Aᵀ is packed only for blocks wider than this many B micro-panels; narrower blocks use each A value
    /// too few times to repay the copy and read it in place. A itself is always read in place: its rows are
    /// already contiguous in k, which is the order the micro-kernel walks.
    /// </summary>
    private const int DirectAMaxPanels = 4;

    /// <summary>
    /// Cuts C into tasks of whole Nc-wide column blocks × row ranges: each task packs its B block once per Kc
    /// slice and reuses it down its whole row range, so B is repacked only as many times as there are row
    /// ranges. Row ranges are split only to give every thread work, and the task count is rounded to a
    /// multiple of the threads so none idles at the end.
    /// </summary>
    private static void Drive<T, TVec, TSimd>(Job<T> job, int maxThreads)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVec : unmanaged
        where TSimd : IGemmSimd<T, TVec>
    {
        int mr = GemmKernel.Mr, nr = 2 * TSimd.Lanes;
        int rowPanels = CeilDiv(job.M, mr), colPanels = CeilDiv(job.N, nr);
        int threads = (long)job.M * job.N * job.K >= ParallelMinMacs ? maxThreads : 1;
        int colBlocks = Math.Min(colPanels, CeilDiv(job.N, NcBytes / sizeof(T)));
        if (colBlocks % threads != 0 && colBlocks < 4 * threads) colBlocks = Math.Min(colPanels, RoundUp(colBlocks, threads));
        int rowRanges = Math.Min(rowPanels, CeilDiv(threads, colBlocks));

        // Equal blocks of whole micro-panels, so no task is left with a sliver.
        int nc = CeilDiv(colPanels, colBlocks) * nr, rows = CeilDiv(rowPanels, rowRanges) * mr;
        colBlocks = CeilDiv(job.N, nc);
        rowRanges = CeilDiv(job.M, rows);
        int tasks = colBlocks * rowRanges;

        void RunTask(int t)
        {
            int i0 = t / colBlocks * rows, j0 = t % colBlocks * nc;
            ComputeBlock<T, TVec, TSimd>(job, i0, Math.Min(rows, job.M - i0), j0, Math.Min(nc, job.N - j0));
        }

        if (threads == 1 || tasks == 1)
        {
            for (int t = 0; t < tasks; t++) RunTask(t);
        }
        else
        {
            Parallel.For(0, tasks, new ParallelOptions { MaxDegreeOfParallelism = threads }, RunTask);
        }
    }

    /// <summary>
    /// C[i0 .. i0+m, j0 .. j0+nc] over all of k: for each Kc slice, pack that slice of B once, then for each
    /// Mc block of rows (packing Aᵀ if need be) sweep the micro-kernel along each 6-row strip, so the strip's A
    /// values stay in L1 while the B micro-panels stream past them.
    /// </summary>
    private static void ComputeBlock<T, TVec, TSimd>(in Job<T> job, int i0, int m, int j0, int nc)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TVec : unmanaged
        where TSimd : IGemmSimd<T, TVec>
    {
        int mr = GemmKernel.Mr, nr = 2 * TSimd.Lanes;
        int slices = CeilDiv(job.K, KcBytes / sizeof(T));
        int kcMax = CeilDiv(job.K, slices);
        int blocks = CeilDiv(m, McRows);
        int mcMax = RoundUp(CeilDiv(m, blocks), mr);

        // The micro-kernel reads A as base + row·rowStride + k·kStride: packed panels, A, or Aᵀ in place.
        bool packA = job.TransA && CeilDiv(nc, nr) > DirectAMaxPanels;
        nint aRowStride = packA || job.TransA ? 1 : job.Lda;
        nint aKStride = packA ? mr : job.TransA ? job.Lda : 1;

        // Pooled arrays are only element-aligned; the packed panels are read with full-width vector loads,
        // so each buffer starts at the next cache line (64 bytes) inside a slightly larger rental.
        int pad = 64 / sizeof(T);
        T[] aRent = ArrayPool<T>.Shared.Rent(mcMax * kcMax + pad);
        T[] bRent = ArrayPool<T>.Shared.Rent(RoundUp(nc, nr) * kcMax + pad);
        try
        {
            fixed (T* aBase = aRent)
            fixed (T* bBase = bRent)
            {
                T* ap = AlignToCacheLine(aBase), bp = AlignToCacheLine(bBase);
                for (int p0 = 0; p0 < job.K; p0 += kcMax)
                {
                    int kc = Math.Min(kcMax, job.K - p0);
                    GemmPack.B<T, TVec, TSimd>(job.B, job.Ldb, job.TransB, p0, kc, j0, nc, bp);

                    // The first slice applies the caller's beta; later slices accumulate onto it.
                    bool first = p0 == 0;
                    T beta = first ? job.Beta : T.One;
                    bool readC = !first || !T.IsZero(job.Beta);
                    for (int ic = 0; ic < m; ic += mcMax)
                    {
                        int mc = Math.Min(mcMax, m - ic);
                        if (packA) GemmPack.TransposedA(job.A, job.Lda, i0 + ic, mc, p0, kc, ap);
                        T* cBlock = job.C + (nint)(i0 + ic) * job.Ldc + j0;
                        for (int ir = 0; ir < mc; ir += mr)
                        {
                            int i = i0 + ic + ir;
                            T* aPanel = packA ? ap + (nint)ir * kc
                                : job.TransA ? job.A + (nint)p0 * job.Lda + i : job.A + (nint)i * job.Lda + p0;
                            int rowsHere = Math.Min(mr, mc - ir);
                            for (int jr = 0; jr < nc; jr += nr)
                            {
                                GemmKernel.Run<T, TVec, TSimd>(kc, aPanel, aRowStride, aKStride, bp + (nint)jr * kc, cBlock + (nint)ir * job.Ldc + jr,
                                    job.Ldc, rowsHere, Math.Min(nr, nc - jr), job.Alpha, beta, readC);
                            }
                        }
                    }
                }
            }
        }
        finally
        {
            ArrayPool<T>.Shared.Return(aRent);
            ArrayPool<T>.Shared.Return(bRent);
        }
    }

    private static T* AlignToCacheLine<T>(T* p) where T : unmanaged => (T*)(((nint)p + 63) & ~(nint)63);

    private static int CeilDiv(int x, int y) => (x + y - 1) / y;

    private static int RoundUp(int x, int multiple) => CeilDiv(x, multiple) * multiple;
}
