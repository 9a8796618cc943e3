using System.Numerics;
using FsCheck;
using FsCheck.Fluent;
using RawGan.Backends.Cpu;

namespace RawGan.Tests;

/// <summary>
/// The blocked GEMM against <see cref="GemmReference"/>, for every SIMD width this machine runs, on one thread
/// and on several, all four transpose cases, odd and prime shapes, sub-matrix views and alpha/beta cases.
/// Tolerance: |C - C_ref| ≤ (2k + 4)·ε · (Σ_p |alpha·a_ip·b_pj| + |beta·c_ij|). The worst-case rounding
/// error of a length-k dot product plus the alpha and beta steps is γ_(k+2) ≈ (k + 2)·ε/2 of that sum for
/// each implementation, so this bound holds for any summation order, while a wrong or missing term
/// (about 1/k of the sum) still exceeds it by more than an order of magnitude for k up to ~1000.
/// </summary>
public class GemmTests
{
    private static readonly GemmIsa[] Isas = new[] { GemmIsa.Vector512, GemmIsa.Vector256, GemmIsa.Vector }
        .Where(IsaRunsHere).ToArray();

    // More threads than cores is fine: it makes Drive cut more tiles, which is what is under test.
    private static readonly int[] ThreadCounts = [1, Environment.ProcessorCount + 1];

    private static bool IsaRunsHere(GemmIsa isa) => isa switch
    {
        GemmIsa.Vector512 => System.Runtime.Intrinsics.Vector512.IsHardwareAccelerated,
        GemmIsa.Vector256 => System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated,
        _ => true,
    };

    /// <summary>One product to check: shapes, operands' layout (padding of the leading dimensions) and scalars.</summary>
    public readonly record struct Case(bool TransA, bool TransB, int M, int N, int K,
        double Alpha, double Beta, int PadA, int PadB, int PadC, int Seed)
    {
        public override string ToString() =>
            $"transA={TransA} transB={TransB} m={M} n={N} k={K} alpha={Alpha} beta={Beta} pads=({PadA},{PadB},{PadC})";
    }

    public static TheoryData<int, int, int> Shapes => new()
    {
        { 1, 1, 1 }, { 1, 300, 7 }, { 300, 1, 7 }, { 7, 13, 1 }, { 2, 3, 5 }, { 17, 31, 37 },
        { 6, 32, 256 }, { 12, 64, 257 }, { 97, 101, 103 }, { 143, 145, 127 }, { 211, 293, 263 },
        { 128, 64, 1024 }, { 145, 513, 255 }, { 513, 257, 129 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Gemm_Float32_AllTransposes_MatchReference(int m, int n, int k) => AllTransposes<float>(m, n, k);

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Gemm_Float64_AllTransposes_MatchReference(int m, int n, int k) => AllTransposes<double>(m, n, k);

    private static void AllTransposes<T>(int m, int n, int k) where T : unmanaged, IFloatingPointIeee754<T>
    {
        // Each transpose case gets a different scalar pair and layout, so the 4 cases together cover
        // beta = 0 (over NaN), 1 and other values, and both dense and padded leading dimensions.
        (double Alpha, double Beta, int Pad)[] variants = [(1, 0, 0), (-0.5, 1, 3), (2.5, -1.5, 1), (1, 0.25, 17)];
        int v = 0;
        foreach (bool ta in new[] { false, true })
            foreach (bool tb in new[] { false, true })
            {
                var (alpha, beta, pad) = variants[v++];
                CheckCase<T>(new Case(ta, tb, m, n, k, alpha, beta, pad, pad + 1, pad + 2, Seed: m * 7919 + n * 31 + k + v));
            }
    }

    [Fact]
    public void Gemm_DegenerateShapes_ScaleOrLeaveC()
    {
        foreach (var (m, n, k) in new[] { (0, 5, 3), (5, 0, 3), (5, 3, 0), (0, 0, 0), (1, 1, 0) })
            foreach (double beta in new[] { 0.0, 1.0, -2.0 })
            {
                CheckCase<float>(new Case(false, true, m, n, k, 1.5, beta, 0, 2, 1, Seed: m + n + k));
                CheckCase<double>(new Case(true, false, m, n, k, 1.5, beta, 1, 0, 2, Seed: m + n + k));
            }
    }

    [Fact]
    public void Gemm_AlphaZero_DoesNotReadAOrB()
    {
        var a = new float[4 * 3];
        Array.Fill(a, float.NaN);
        var c = new float[] { 1, 2, 3, 4, 5, 6, 7, 8 };
        Gemm.Run(false, false, 4, 2, 3, 0f, a, 3, a, 2, 2f, c, 2);
        Assert.Equal([2f, 4, 6, 8, 10, 12, 14, 16], c);
    }

    [Fact]
    public void Gemm_OperandTooShortOrLeadingDimensionTooSmall_Throws()
    {
        var a = new float[6];
        var b = new float[6];
        var c = new float[4];
        Assert.Throws<ArgumentException>(() => Gemm.Run(false, false, 2, 2, 4, 1f, a, 4, b, 2, 0f, c, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.Run(false, false, 2, 2, 3, 1f, a, 2, b, 2, 0f, c, 2));
        Assert.Throws<ArgumentException>(() => Gemm.Run(false, false, 2, 2, 3, 1f, a, 3, b, 2, 0f, c.AsSpan(0, 3), 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.Run(false, false, -1, 2, 3, 1f, a, 3, b, 2, 0f, c, 2));
    }

    [Fact]
    public void Gemm_Half_IsNotSupported()
    {
        var x = new Half[4];
        Assert.Throws<NotSupportedException>(() => Gemm.Run(false, false, 2, 2, 2, Half.One, x, 2, x, 2, Half.Zero, x, 2));
    }

    [Fact]
    public void Gemm_RandomSmallShapes_MatchReference_Property()
    {
        var scalars = new[] { 0.0, 1.0, -1.0, 0.5, 3.0 };
        var cases =
            from ta in Gen.Elements(false, true)
            from tb in Gen.Elements(false, true)
            from m in Gen.Choose(0, 40)
            from n in Gen.Choose(0, 70)
            from k in Gen.Choose(0, 300)
            from alpha in Gen.Elements(scalars)
            from beta in Gen.Elements(scalars)
            from pads in Gen.Choose(0, 5).Three()
            from seed in Gen.Choose(0, 1 << 20)
            select new Case(ta, tb, m, n, k, alpha, beta, pads.Item1, pads.Item2, pads.Item3, seed);
        Prop.ForAll(Arb.From(cases), c =>
        {
            CheckCase<float>(c);
            CheckCase<double>(c);
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(150));
    }

    /// <summary>
    /// Runs one case with every SIMD width and thread count against the reference. Padding between rows is
    /// NaN in A and B (it must never be read) and a sentinel in C (it must never be written); with beta = 0,
    /// C starts as NaN (it must not be read either).
    /// </summary>
    private static void CheckCase<T>(Case cs) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rng = new Random(cs.Seed);
        int rowsA = cs.TransA ? cs.K : cs.M, colsA = cs.TransA ? cs.M : cs.K;
        int rowsB = cs.TransB ? cs.N : cs.K, colsB = cs.TransB ? cs.K : cs.N;
        // BLAS asks for ld ≥ 1 even for an empty matrix.
        int lda = Math.Max(1, colsA + cs.PadA), ldb = Math.Max(1, colsB + cs.PadB), ldc = Math.Max(1, cs.N + cs.PadC);
        var sentinel = T.CreateTruncating(12345.0);
        var a = Matrix(rng, rowsA, colsA, lda, T.NaN);
        var b = Matrix(rng, rowsB, colsB, ldb, T.NaN);
        var c0 = Matrix(rng, cs.M, cs.N, ldc, sentinel);
        if (cs.Beta == 0) Fill(c0, cs.M, cs.N, ldc, T.NaN);
        T alpha = T.CreateTruncating(cs.Alpha), beta = T.CreateTruncating(cs.Beta);

        var expected = (T[])c0.Clone();
        GemmReference.Run(cs.TransA, cs.TransB, cs.M, cs.N, cs.K, alpha, a, lda, b, ldb, beta, expected, ldc);
        var bound = ErrorScale(cs, a, lda, b, ldb, c0, ldc);
        double tol = (2.0 * cs.K + 4) * double.CreateTruncating(MachineEpsilon<T>());

        foreach (var isa in Isas)
            foreach (int threads in ThreadCounts)
            {
                var got = (T[])c0.Clone();
                Gemm.Run(isa, threads, cs.TransA, cs.TransB, cs.M, cs.N, cs.K, alpha, a, lda, b, ldb, beta, got, ldc);
                string where = $"gemm {typeof(T).Name} {isa} threads={threads} {cs}";
                CompareTo(where, got, expected, bound, tol, cs.M, cs.N, ldc);
            }
    }

    private static T MachineEpsilon<T>() where T : IFloatingPointIeee754<T> => T.BitIncrement(T.One) - T.One;

    private static void CompareTo<T>(string where, T[] got, T[] expected, double[] bound, double tol, int m, int n, int ldc)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        double worstExcess = 0;
        int worst = -1;
        for (int idx = 0; idx < got.Length; idx++)
        {
            int i = idx / ldc, j = idx % ldc;
            if (i >= m || j >= n)
            {
                if (got[idx] != expected[idx]) Assert.Fail($"{where}: wrote padding element {idx} ({got[idx]})");
                continue;
            }
            double g = double.CreateTruncating(got[idx]), e = double.CreateTruncating(expected[idx]);
            double excess = double.IsFinite(g) ? Math.Abs(g - e) / (tol * bound[i * n + j] + double.Epsilon) : double.PositiveInfinity;
            if (excess > worstExcess) (worstExcess, worst) = (excess, idx);
        }
        if (worstExcess > 1)
        {
            int i = worst / ldc, j = worst % ldc;
            Assert.Fail($"{where}: worst element C[{i},{j}] = {got[worst]} vs reference {expected[worst]}, " +
                $"error {Math.Abs(double.CreateTruncating(got[worst] - expected[worst])):g3} > tolerance {tol * bound[i * n + j]:g3}");
        }
    }

    /// <summary>Σ_p |alpha·a_ip·b_pj| + |beta·c_ij| per element of C, in double: what rounding errors scale with.</summary>
    private static double[] ErrorScale<T>(Case cs, T[] a, int lda, T[] b, int ldb, T[] c0, int ldc)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var scale = new double[cs.M * cs.N];
        for (int i = 0; i < cs.M; i++)
            for (int j = 0; j < cs.N; j++)
            {
                double s = 0;
                for (int p = 0; p < cs.K; p++)
                {
                    T aip = cs.TransA ? a[p * lda + i] : a[i * lda + p];
                    T bpj = cs.TransB ? b[j * ldb + p] : b[p * ldb + j];
                    s += Math.Abs(double.CreateTruncating(aip) * double.CreateTruncating(bpj));
                }
                double cOld = cs.Beta == 0 ? 0 : Math.Abs(cs.Beta * double.CreateTruncating(c0[i * ldc + j]));
                scale[i * cs.N + j] = Math.Abs(cs.Alpha) * s + cOld;
            }
        return scale;
    }

    /// <summary>A rows × cols matrix of uniform values in [-1, 1) with leading dimension ld, padding set to <paramref name="pad"/>.</summary>
    private static T[] Matrix<T>(Random rng, int rows, int cols, int ld, T pad) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var x = new T[rows == 0 ? 0 : (rows - 1) * ld + cols];
        for (int idx = 0; idx < x.Length; idx++)
            x[idx] = idx % ld < cols ? T.CreateTruncating(rng.NextDouble() * 2 - 1) : pad;
        return x;
    }

    private static void Fill<T>(T[] x, int rows, int cols, int ld, T value)
    {
        for (int i = 0; i < rows; i++) x.AsSpan(i * ld, cols).Fill(value);
    }
}
