using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace RawGan.Backends.Cpu;

/// <summary>The SIMD width a GEMM runs with; the widest one the hardware accelerates is the default.</summary>
internal enum GemmIsa
{
    /// <summary>Portable <see cref="Vector{T}"/>: whatever width the runtime picked (SSE, AVX2, NEON).</summary>
    Vector,
    Vector256,
    Vector512,
}

/// <summary>
/// The handful of vector operations the micro-kernel and the packing need, over one register width.
/// Implemented by empty structs so each (T, width) pair gets its own specialised, fully inlined code.
/// Only float and double reach these: <see cref="Gemm"/> rejects every other T before dispatch.
/// </summary>
internal unsafe interface IGemmSimd<T, TVec> where T : unmanaged where TVec : unmanaged
{
    static abstract int Lanes { get; }
    static abstract TVec Load(T* p);
    static abstract void Store(T* p, TVec v);
    static abstract TVec Broadcast(T x);
    static abstract TVec Multiply(TVec a, TVec b);

    /// <summary>a·b + c, fused where the hardware has FMA and as a multiply then an add where it has not.</summary>
    static abstract TVec MulAdd(TVec a, TVec b, TVec c);
}

internal readonly unsafe struct GemmSimd512<T> : IGemmSimd<T, Vector512<T>> where T : unmanaged
{
    public static int Lanes => Vector512<T>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Load(T* p) => Vector512.Load(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(T* p, Vector512<T> v) => v.Store(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Broadcast(T x) => Vector512.Create(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> Multiply(Vector512<T> a, Vector512<T> b) => a * b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<T> MulAdd(Vector512<T> a, Vector512<T> b, Vector512<T> c) => typeof(T) == typeof(float)
        ? Vector512.MultiplyAddEstimate(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>()
        : Vector512.MultiplyAddEstimate(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();
}

internal readonly unsafe struct GemmSimd256<T> : IGemmSimd<T, Vector256<T>> where T : unmanaged
{
    public static int Lanes => Vector256<T>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Load(T* p) => Vector256.Load(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(T* p, Vector256<T> v) => v.Store(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Broadcast(T x) => Vector256.Create(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> Multiply(Vector256<T> a, Vector256<T> b) => a * b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<T> MulAdd(Vector256<T> a, Vector256<T> b, Vector256<T> c) => typeof(T) == typeof(float)
        ? Vector256.MultiplyAddEstimate(a.AsSingle(), b.AsSingle(), c.AsSingle()).As<float, T>()
        : Vector256.MultiplyAddEstimate(a.AsDouble(), b.AsDouble(), c.AsDouble()).As<double, T>();
}

internal readonly unsafe struct GemmSimdVector<T> : IGemmSimd<T, Vector<T>> where T : unmanaged
{
    public static int Lanes => Vector<T>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<T> Load(T* p) => Vector.Load(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(T* p, Vector<T> v) => v.Store(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<T> Broadcast(T x) => new(x);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<T> Multiply(Vector<T> a, Vector<T> b) => a * b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<T> MulAdd(Vector<T> a, Vector<T> b, Vector<T> c) => typeof(T) == typeof(float)
        ? Vector.MultiplyAddEstimate(Vector.AsVectorSingle(a), Vector.AsVectorSingle(b), Vector.AsVectorSingle(c)).As<float, T>()
        : Vector.MultiplyAddEstimate(Vector.AsVectorDouble(a), Vector.AsVectorDouble(b), Vector.AsVectorDouble(c)).As<double, T>();
}
