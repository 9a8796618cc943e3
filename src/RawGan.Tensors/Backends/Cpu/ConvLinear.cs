using System.Numerics;

namespace RawGan.Backends.Cpu;

/// <summary>
/// Convolutions whose one window covers the whole unpadded image (<see cref="ConvGeometry.IsLinear"/>). Image n's
/// group gr is then its own column matrix, one row X[n] of K values, and y[n, g] is one row of Og values, so each
/// direction is a single GEMM over the batch per group, with M or N = batch, instead of one matrix-vector
/// product per image. The GEMM threads itself and splits C only, so the result does not depend on scheduling.
/// </summary>
internal static class ConvLinear
{
    /// <summary>y[:, g] = X[:, g] @ W[g]^T: [N, Og] from [N, K] and [Og, K].</summary>
    public static void Forward<T>(T[] ya, int yo, T[] xa, int xo, T[] wa, int wo, in ConvGeometry g)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (g.N == 0) return;
        for (int gr = 0; gr < g.Groups; gr++)
            Gemm.Run(false, true, g.N, g.Og, g.K,
                T.One, Rows(xa, xo + g.ImageOffset(0, gr), g.N, g.K, g.ImageSize), g.ImageSize, Weight(wa, wo, gr, g), g.K,
                T.Zero, Rows(ya, yo + g.OutputOffset(0, gr), g.N, g.Og, g.O), g.O);
    }

    /// <summary>dX[:, g] = dy[:, g] @ W[g]: [N, K] from [N, Og] and [Og, K]; every element of dx is written.</summary>
    public static void BackwardData<T>(T[] dxa, int dxo, T[] dya, int dyo, T[] wa, int wo, in ConvGeometry g)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (g.N == 0) return;
        for (int gr = 0; gr < g.Groups; gr++)
            Gemm.Run(false, false, g.N, g.K, g.Og,
                T.One, Rows(dya, dyo + g.OutputOffset(0, gr), g.N, g.Og, g.O), g.O, Weight(wa, wo, gr, g), g.K,
                T.Zero, Rows(dxa, dxo + g.ImageOffset(0, gr), g.N, g.K, g.ImageSize), g.ImageSize);
    }

    /// <summary>dW[g] = dy[:, g]^T @ X[:, g]: [Og, K] from [N, Og] and [N, K], summed over the batch inside the GEMM.</summary>
    public static void BackwardFilter<T>(T[] dwa, int dwo, T[] dya, int dyo, T[] xa, int xo, in ConvGeometry g)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int gr = 0; gr < g.Groups; gr++)
            Gemm.Run(true, false, g.Og, g.K, g.N,
                T.One, Rows(dya, dyo + g.OutputOffset(0, gr), g.N, g.Og, g.O), g.O, Rows(xa, xo + g.ImageOffset(0, gr), g.N, g.K, g.ImageSize), g.ImageSize,
                T.Zero, dwa.AsSpan(dwo + gr * g.Og * g.K, g.Og * g.K), g.K);
    }

    /// <summary>rows × cols matrix starting at offset with leading dimension ld, as the span the GEMM checks.</summary>
    private static Span<T> Rows<T>(T[] a, int offset, int rows, int cols, int ld) => a.AsSpan(offset, (rows - 1) * ld + cols);

    private static ReadOnlySpan<T> Weight<T>(T[] wa, int wo, int gr, in ConvGeometry g) => wa.AsSpan(wo + gr * g.Og * g.K, g.Og * g.K);
}
