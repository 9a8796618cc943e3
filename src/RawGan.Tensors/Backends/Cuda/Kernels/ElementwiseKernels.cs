using RawGan.Backends.Cuda.Interop;

namespace RawGan.Backends.Cuda.Kernels;

/// <summary>Launchers of kernels/fill.cu, copy.cu, binary.cu, unary.cu and scalar.cu.</summary>
public static class ElementwiseKernels
{
    public static readonly KernelRef Fill = new("fill.cu", "fill_f32");
    public static readonly KernelRef CopyStrided = new("copy.cu", "copy_strided_f32");

    public static readonly KernelRef Add = new("binary.cu", "add_f32");
    public static readonly KernelRef Sub = new("binary.cu", "sub_f32");
    public static readonly KernelRef Mul = new("binary.cu", "mul_f32");
    public static readonly KernelRef Div = new("binary.cu", "div_f32");
    public static readonly KernelRef AddStrided = new("binary.cu", "add_strided_f32");
    public static readonly KernelRef SubStrided = new("binary.cu", "sub_strided_f32");
    public static readonly KernelRef MulStrided = new("binary.cu", "mul_strided_f32");
    public static readonly KernelRef DivStrided = new("binary.cu", "div_strided_f32");

    public static readonly KernelRef Neg = new("unary.cu", "neg_f32");
    public static readonly KernelRef Exp = new("unary.cu", "exp_f32");
    public static readonly KernelRef Log = new("unary.cu", "log_f32");
    public static readonly KernelRef Sqrt = new("unary.cu", "sqrt_f32");
    public static readonly KernelRef Abs = new("unary.cu", "abs_f32");

    public static readonly KernelRef AddScalar = new("scalar.cu", "add_scalar_f32");
    public static readonly KernelRef MulScalar = new("scalar.cu", "mul_scalar_f32");
    public static readonly KernelRef PowScalar = new("scalar.cu", "pow_scalar_f32");

    public static KernelRef Binary(BinaryOp op) => op switch
    {
        BinaryOp.Add => Add,
        BinaryOp.Sub => Sub,
        BinaryOp.Mul => Mul,
        BinaryOp.Div => Div,
        _ => throw new ArgumentOutOfRangeException(nameof(op), op, null),
    };

    public static KernelRef BinaryStrided(BinaryOp op) => op switch
    {
        BinaryOp.Add => AddStrided,
        BinaryOp.Sub => SubStrided,
        BinaryOp.Mul => MulStrided,
        BinaryOp.Div => DivStrided,
        _ => throw new ArgumentOutOfRangeException(nameof(op), op, null),
    };

    public static KernelRef Unary(UnaryOp op) => op switch
    {
        UnaryOp.Neg => Neg,
        UnaryOp.Exp => Exp,
        UnaryOp.Log => Log,
        UnaryOp.Sqrt => Sqrt,
        UnaryOp.Abs => Abs,
        _ => throw new ArgumentOutOfRangeException(nameof(op), op, null),
    };

    public static KernelRef Scalar(ScalarOp op) => op switch
    {
        ScalarOp.Add => AddScalar,
        ScalarOp.Mul => MulScalar,
        ScalarOp.Pow => PowScalar,
        _ => throw new ArgumentOutOfRangeException(nameof(op), op, null),
    };

    public static void LaunchFill(KernelLibrary lib, CUdeviceptr y, float value, int n) =>
        lib.Launch(Fill, lib.GridForVectorized(n), new Dim3(KernelLibrary.BlockSize), y, value, n);

    internal static void LaunchCopyStrided(KernelLibrary lib, CUdeviceptr dst, CUdeviceptr src, StridedIndex index, int n) =>
        lib.Launch(CopyStrided, lib.GridFor(n), new Dim3(KernelLibrary.BlockSize), dst, src, index, n);

    /// <summary>out = k(x) over contiguous arrays (unary ops and activation forwards without a parameter).</summary>
    public static void LaunchMap(KernelLibrary lib, KernelRef k, CUdeviceptr y, CUdeviceptr x, int n) =>
        lib.Launch(k, lib.GridForVectorized(n), new Dim3(KernelLibrary.BlockSize), y, x, n);

    /// <summary>out = k(x; p) over contiguous arrays (scalar ops, parameterised activations).</summary>
    public static void LaunchMap(KernelLibrary lib, KernelRef k, CUdeviceptr y, CUdeviceptr x, float p, int n) =>
        lib.Launch(k, lib.GridForVectorized(n), new Dim3(KernelLibrary.BlockSize), y, x, p, n);

    /// <summary>out = k(a, b) over contiguous arrays (binary ops, backwards, loss forwards).</summary>
    public static void LaunchZip(KernelLibrary lib, KernelRef k, CUdeviceptr z, CUdeviceptr a, CUdeviceptr b, int n) =>
        lib.Launch(k, lib.GridForVectorized(n), new Dim3(KernelLibrary.BlockSize), z, a, b, n);

    /// <summary>out = k(a, b; p) over contiguous arrays (parameterised activation backwards).</summary>
    public static void LaunchZip(KernelLibrary lib, KernelRef k, CUdeviceptr z, CUdeviceptr a, CUdeviceptr b, float p, int n) =>
        lib.Launch(k, lib.GridForVectorized(n), new Dim3(KernelLibrary.BlockSize), z, a, b, p, n);

    internal static void LaunchBinaryStrided(KernelLibrary lib, BinaryOp op, CUdeviceptr z, CUdeviceptr a, CUdeviceptr b, StridedIndex index, int n) =>
        lib.Launch(BinaryStrided(op), lib.GridFor(n), new Dim3(KernelLibrary.BlockSize), z, a, b, index, n);
}
