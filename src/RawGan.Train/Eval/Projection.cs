using System.Runtime.Intrinsics;

namespace RawGan.Eval;

/// <summary>
/// Projects descriptor rows onto directions: output[r, j] = Σ_k rows[r, k] · directions[k, j], the
/// matmul of ProGAN's sliced_wasserstein and nearly all of SWD's arithmetic. Register-blocked
/// kernels broadcast one row value against a block of directions per step; versions side by side:
/// <see cref="RunVector256"/> (v1, AVX2: 6 rows × 16 directions, 12 accumulators) and
/// <see cref="RunVector512"/> (v2, AVX-512: 8 rows × 32 directions, 16 accumulators; about twice v1
/// where 512-bit FMAs run at full width). <see cref="Run"/> takes the widest the hardware runs;
/// <see cref="Reference"/> is the plain double loop they are all checked against.
/// </summary>
public static unsafe class Projection
{
    /// <summary>Directions per block: the column count must be a multiple of this.</summary>
    public const int Block = 32;

    /// <summary>
    /// <paramref name="rows"/>: rowCount rows of rowStride floats, the first depth used.
    /// <paramref name="directions"/>: depth rows of columns floats (directions side by side).
    /// <paramref name="output"/>: rowCount rows of columns floats.
    /// </summary>
    public static void Run(ReadOnlySpan<float> rows, int rowCount, int rowStride, int depth,
        ReadOnlySpan<float> directions, int columns, Span<float> output)
    {
        if (Vector512.IsHardwareAccelerated) RunVector512(rows, rowCount, rowStride, depth, directions, columns, output);
        else RunVector256(rows, rowCount, rowStride, depth, directions, columns, output);
    }

    /// <summary>v1: 256-bit vectors, 6 rows × 16 directions per kernel call, single rows for the remainder.</summary>
    public static void RunVector256(ReadOnlySpan<float> rows, int rowCount, int rowStride, int depth,
        ReadOnlySpan<float> directions, int columns, Span<float> output)
    {
        Check(rows, rowCount, rowStride, depth, directions, columns, output);
        fixed (float* a = rows, b = directions, c = output)
        {
            int r = 0;
            for (; r + 6 <= rowCount; r += 6)
                for (int j = 0; j < columns; j += 16)
                    Kernel6x16(a + r * rowStride, rowStride, depth, b + j, columns, c + r * columns + j, columns);
            for (; r < rowCount; r++)
                for (int j = 0; j < columns; j += 16)
                    Kernel1x16(a + r * rowStride, depth, b + j, columns, c + r * columns + j);
        }
    }

    /// <summary>v2: 512-bit vectors, 8 rows × 32 directions per kernel call, single rows for the remainder.</summary>
    public static void RunVector512(ReadOnlySpan<float> rows, int rowCount, int rowStride, int depth,
        ReadOnlySpan<float> directions, int columns, Span<float> output)
    {
        Check(rows, rowCount, rowStride, depth, directions, columns, output);
        fixed (float* a = rows, b = directions, c = output)
        {
            int r = 0;
            for (; r + 8 <= rowCount; r += 8)
                for (int j = 0; j < columns; j += 32)
                    Kernel8x32(a + r * rowStride, rowStride, depth, b + j, columns, c + r * columns + j, columns);
            for (; r < rowCount; r++)
                for (int j = 0; j < columns; j += 32)
                    Kernel1x32(a + r * rowStride, depth, b + j, columns, c + r * columns + j);
        }
    }

    /// <summary>The same product as <see cref="Run"/>, one multiply-add at a time, in double.</summary>
    public static void Reference(ReadOnlySpan<float> rows, int rowCount, int rowStride, int depth,
        ReadOnlySpan<float> directions, int columns, Span<float> output)
    {
        Check(rows, rowCount, rowStride, depth, directions, columns, output);
        for (int r = 0; r < rowCount; r++)
            for (int j = 0; j < columns; j++)
            {
                double sum = 0;
                for (int k = 0; k < depth; k++) sum += (double)rows[r * rowStride + k] * directions[k * columns + j];
                output[r * columns + j] = (float)sum;
            }
    }

    static void Check(ReadOnlySpan<float> rows, int rowCount, int rowStride, int depth,
        ReadOnlySpan<float> directions, int columns, Span<float> output)
    {
        if (depth > rowStride) throw new ArgumentException($"depth {depth} exceeds the row stride {rowStride}", nameof(depth));
        if (rows.Length < rowCount * rowStride) throw new ArgumentException($"{rowCount} rows of {rowStride} need {rowCount * rowStride} floats", nameof(rows));
        if (directions.Length < depth * columns) throw new ArgumentException($"{depth}x{columns} directions need {depth * columns} floats", nameof(directions));
        if (output.Length < rowCount * columns) throw new ArgumentException($"{rowCount}x{columns} outputs need {rowCount * columns} floats", nameof(output));
        if (columns % Block != 0) throw new ArgumentException($"columns must be a multiple of {Block}, got {columns}", nameof(columns));
    }

    static void Kernel6x16(float* a, int lda, int depth, float* b, int ldb, float* c, int ldc)
    {
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int k = 0; k < depth; k++)
        {
            var b0 = Vector256.Load(b + k * ldb);
            var b1 = Vector256.Load(b + k * ldb + 8);
            var x = Vector256.Create(a[k]);
            c00 = Vector256.FusedMultiplyAdd(x, b0, c00);
            c01 = Vector256.FusedMultiplyAdd(x, b1, c01);
            x = Vector256.Create(a[lda + k]);
            c10 = Vector256.FusedMultiplyAdd(x, b0, c10);
            c11 = Vector256.FusedMultiplyAdd(x, b1, c11);
            x = Vector256.Create(a[2 * lda + k]);
            c20 = Vector256.FusedMultiplyAdd(x, b0, c20);
            c21 = Vector256.FusedMultiplyAdd(x, b1, c21);
            x = Vector256.Create(a[3 * lda + k]);
            c30 = Vector256.FusedMultiplyAdd(x, b0, c30);
            c31 = Vector256.FusedMultiplyAdd(x, b1, c31);
            x = Vector256.Create(a[4 * lda + k]);
            c40 = Vector256.FusedMultiplyAdd(x, b0, c40);
            c41 = Vector256.FusedMultiplyAdd(x, b1, c41);
            x = Vector256.Create(a[5 * lda + k]);
            c50 = Vector256.FusedMultiplyAdd(x, b0, c50);
            c51 = Vector256.FusedMultiplyAdd(x, b1, c51);
        }
        c00.Store(c); c01.Store(c + 8);
        c10.Store(c + ldc); c11.Store(c + ldc + 8);
        c20.Store(c + 2 * ldc); c21.Store(c + 2 * ldc + 8);
        c30.Store(c + 3 * ldc); c31.Store(c + 3 * ldc + 8);
        c40.Store(c + 4 * ldc); c41.Store(c + 4 * ldc + 8);
        c50.Store(c + 5 * ldc); c51.Store(c + 5 * ldc + 8);
    }

    static void Kernel1x16(float* a, int depth, float* b, int ldb, float* c)
    {
        Vector256<float> c0 = default, c1 = default;
        for (int k = 0; k < depth; k++)
        {
            var x = Vector256.Create(a[k]);
            c0 = Vector256.FusedMultiplyAdd(x, Vector256.Load(b + k * ldb), c0);
            c1 = Vector256.FusedMultiplyAdd(x, Vector256.Load(b + k * ldb + 8), c1);
        }
        c0.Store(c);
        c1.Store(c + 8);
    }

    static void Kernel8x32(float* a, int lda, int depth, float* b, int ldb, float* c, int ldc)
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default, c50 = default, c51 = default, c60 = default, c61 = default, c70 = default, c71 = default;
        for (int k = 0; k < depth; k++)
        {
            var b0 = Vector512.Load(b + k * ldb);
            var b1 = Vector512.Load(b + k * ldb + 16);
            var x = Vector512.Create(a[k]);
            c00 = Vector512.FusedMultiplyAdd(x, b0, c00);
            c01 = Vector512.FusedMultiplyAdd(x, b1, c01);
            x = Vector512.Create(a[lda + k]);
            c10 = Vector512.FusedMultiplyAdd(x, b0, c10);
            c11 = Vector512.FusedMultiplyAdd(x, b1, c11);
            x = Vector512.Create(a[2 * lda + k]);
            c20 = Vector512.FusedMultiplyAdd(x, b0, c20);
            c21 = Vector512.FusedMultiplyAdd(x, b1, c21);
            x = Vector512.Create(a[3 * lda + k]);
            c30 = Vector512.FusedMultiplyAdd(x, b0, c30);
            c31 = Vector512.FusedMultiplyAdd(x, b1, c31);
            x = Vector512.Create(a[4 * lda + k]);
            c40 = Vector512.FusedMultiplyAdd(x, b0, c40);
            c41 = Vector512.FusedMultiplyAdd(x, b1, c41);
            x = Vector512.Create(a[5 * lda + k]);
            c50 = Vector512.FusedMultiplyAdd(x, b0, c50);
            c51 = Vector512.FusedMultiplyAdd(x, b1, c51);
            x = Vector512.Create(a[6 * lda + k]);
            c60 = Vector512.FusedMultiplyAdd(x, b0, c60);
            c61 = Vector512.FusedMultiplyAdd(x, b1, c61);
            x = Vector512.Create(a[7 * lda + k]);
            c70 = Vector512.FusedMultiplyAdd(x, b0, c70);
            c71 = Vector512.FusedMultiplyAdd(x, b1, c71);
        }
        c00.Store(c); c01.Store(c + 16);
        c10.Store(c + ldc); c11.Store(c + ldc + 16);
        c20.Store(c + 2 * ldc); c21.Store(c + 2 * ldc + 16);
        c30.Store(c + 3 * ldc); c31.Store(c + 3 * ldc + 16);
        c40.Store(c + 4 * ldc); c41.Store(c + 4 * ldc + 16);
        c50.Store(c + 5 * ldc); c51.Store(c + 5 * ldc + 16);
        c60.Store(c + 6 * ldc); c61.Store(c + 6 * ldc + 16);
        c70.Store(c + 7 * ldc); c71.Store(c + 7 * ldc + 16);
    }

    static void Kernel1x32(float* a, int depth, float* b, int ldb, float* c)
    {
        Vector512<float> c0 = default, c1 = default;
        for (int k = 0; k < depth; k++)
        {
            var x = Vector512.Create(a[k]);
            c0 = Vector512.FusedMultiplyAdd(x, Vector512.Load(b + k * ldb), c0);
            c1 = Vector512.FusedMultiplyAdd(x, Vector512.Load(b + k * ldb + 16), c1);
        }
        c0.Store(c);
        c1.Store(c + 16);
    }
}
