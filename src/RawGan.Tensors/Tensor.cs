using System.Runtime.InteropServices;
using RawGan.Autograd;
using RawGan.Backends;

namespace RawGan;

/// <summary>
/// An n-dimensional view (shape, strides, offset, all in elements) onto a <see cref="Storage"/>.
/// Ops live in <see cref="F"/>, one file each under Ops/; the methods here are sugar for them.
/// </summary>
public sealed partial class Tensor : IDisposable
{
    private Storage _storage;
    private bool _disposed;

    internal Tensor(Storage storage, int[] shape, int[] strides, int offset)
    {
        _storage = storage;
        Shape = shape;
        Strides = strides;
        Offset = offset;
        NumEl = RawGan.Shape.NumEl(shape);
        Scope = TensorScope.Current;
        Scope?.Add(this);
    }

    public int[] Shape { get; }
    public int[] Strides { get; }
    public int Offset { get; }
    public int NumEl { get; }
    public int Rank => Shape.Length;
    public Storage Storage => _disposed ? throw new ObjectDisposedException(ToString()) : _storage;
    public DType DType => _storage.DType;
    public IBackend Backend => _storage.Backend;
    public Device Device => _storage.Backend.Device;
    public bool IsDisposed => _disposed;

    /// <summary>Set on leaves (parameters, inputs of gradient checks) to collect their gradient.</summary>
    public bool RequiresGrad { get; set; }

    /// <summary>Accumulated gradient of a leaf after <see cref="Backward"/>; null until then.</summary>
    public Tensor? Grad { get; set; }

    /// <summary>The op that produced this tensor, for the backward walk; null for leaves.</summary>
    public Node? GradFn { get; internal set; }

    public bool IsLeaf => GradFn is null;

    /// <summary>Set by <see cref="Autograd.Autograd.Intermediate"/>: the backward walk disposes it.</summary>
    internal bool IsIntermediate { get; set; }

    internal TensorScope? Scope { get; private set; }

    public int Size(int dim) => Shape[RawGan.Shape.NormalizeDim(dim, Rank)];

    public bool IsContiguous
    {
        get
        {
            int expected = 1;
            for (int i = Rank - 1; i >= 0; i--)
            {
                if (Shape[i] != 1 && Strides[i] != expected) return false;
                expected *= Shape[i];
            }
            return true;
        }
    }

    // ---- creation ----

    public static Tensor Empty(int[] shape, DType dtype = DType.Float32, Device? device = null)
    {
        var backend = Backends.BackendRegistry.Get(device ?? Device.Cpu);
        int n = RawGan.Shape.NumEl(shape);
        return new Tensor(backend.Allocate(dtype, n), (int[])shape.Clone(), RawGan.Shape.ContiguousStrides(shape), 0);
    }

    public static Tensor Full(int[] shape, double value, DType dtype = DType.Float32, Device? device = null)
    {
        var t = Empty(shape, dtype, device);
        t.Backend.Fill(t, value);
        return t;
    }

    public static Tensor Zeros(int[] shape, DType dtype = DType.Float32, Device? device = null) => Full(shape, 0, dtype, device);
    public static Tensor Ones(int[] shape, DType dtype = DType.Float32, Device? device = null) => Full(shape, 1, dtype, device);
    public static Tensor Scalar(double value, DType dtype = DType.Float32, Device? device = null) => Full([], value, dtype, device);

    public Tensor EmptyLike() => Empty(Shape, DType, Device);
    public Tensor ZerosLike() => Zeros(Shape, DType, Device);

    public static Tensor FromArray(float[] data, int[] shape, Device? device = null) =>
        FromBytes(MemoryMarshal.AsBytes(data.AsSpan()), shape, DType.Float32, device);

    public static Tensor FromArray(double[] data, int[] shape, Device? device = null) =>
        FromBytes(MemoryMarshal.AsBytes(data.AsSpan()), shape, DType.Float64, device);

    public static Tensor FromBytes(ReadOnlySpan<byte> bytes, int[] shape, DType dtype, Device? device = null)
    {
        int n = RawGan.Shape.NumEl(shape);
        if (bytes.Length != (long)n * dtype.ElementSize())
            throw new ArgumentException($"{bytes.Length} bytes do not fill a {dtype.Name()} tensor of shape {RawGan.Shape.Format(shape)}");
        var t = Empty(shape, dtype, device);
        t.Backend.CopyFromHost(t, bytes);
        return t;
    }

    /// <summary>A float32 tensor from bytes, element i being <paramref name="values"/>[data[i]] (256 values:
    /// what each byte value stands for, e.g. pixels 0..255 mapped onto [-1, 1]). A GPU receives the bytes
    /// and widens them itself, so an image batch crosses the bus at a quarter of its float size.</summary>
    public static Tensor FromUInt8(ReadOnlySpan<byte> data, int[] shape, ReadOnlySpan<float> values, Device? device = null)
    {
        int n = RawGan.Shape.NumEl(shape);
        if (data.Length != n)
            throw new ArgumentException($"{data.Length} bytes do not fill a tensor of shape {RawGan.Shape.Format(shape)} ({n} elements)");
        if (values.Length != 256)
            throw new ArgumentException($"{values.Length} values given; a byte has 256");
        var t = Empty(shape, DType.Float32, device);
        t.Backend.CopyFromHostUInt8(t, data, values);
        return t;
    }

    // ---- reading back ----

    public byte[] ToBytes()
    {
        ReadBackGuard.Check(this);
        var c = Contiguous();
        var bytes = new byte[(long)NumEl * DType.ElementSize()];
        c.Backend.CopyToHost(c, bytes);
        return bytes;
    }

    /// <summary>Queues a copy of the elements to the host and returns at once; <see cref="PendingRead.Wait"/>
    /// gives them (as <see cref="ToDoubleArray"/>) when the device has got there. A training loop reads
    /// a step's metrics this way while the device runs the next step.</summary>
    public PendingRead StartReadBack()
    {
        ReadBackGuard.Check(this);
        var c = Contiguous();
        return c.Backend.StartCopyToHost(c);
    }

    /// <summary>The elements in row-major order, converted to float.</summary>
    public float[] ToFloatArray() => DType == DType.Float32
        ? MemoryMarshal.Cast<byte, float>(ToBytes()).ToArray()
        : Array.ConvertAll(ToDoubleArray(), v => (float)v);

    /// <summary>The elements in row-major order, converted to double.</summary>
    public double[] ToDoubleArray() => DType == DType.Float64
        ? MemoryMarshal.Cast<byte, double>(ToBytes()).ToArray()
        : Array.ConvertAll(ToFloatArray(), v => (double)v);

    /// <summary>The value of a one-element tensor (waits for the device).</summary>
    public double Item()
    {
        if (NumEl != 1) throw new InvalidOperationException($"Item() needs one element, tensor has shape {RawGan.Shape.Format(Shape)}");
        return ToDoubleArray()[0];
    }

    /// <summary>Copies to another device; returns this tensor when it is already there.</summary>
    public Tensor To(Device device)
    {
        if (device == Device) return this;
        var result = FromBytes(ToBytes(), Shape, DType, device);
        return Autograd.Autograd.Record(result, "to", [this], dy => [dy.To(Device)]);
    }

    /// <summary>Converts to another dtype (differentiable).</summary>
    public Tensor To(DType dtype)
    {
        if (dtype == DType) return this;
        var src = Contiguous();
        var result = Empty(Shape, dtype, Device);
        Backend.Cast(result, src);
        return Autograd.Autograd.Record(result, "cast", [this], dy => [dy.To(DType)]);
    }

    /// <summary>Moves a leaf's data to another device in place, keeping this object (used by Module.To).</summary>
    internal void MoveStorageTo(Device device)
    {
        if (device == Device) return;
        if (!IsContiguous || Offset != 0 || Storage.Count != NumEl)
            throw new InvalidOperationException("only a tensor that owns its whole storage can move in place");
        var moved = FromBytes(ToBytes(), Shape, DType, device);
        moved.DetachFromScope();
        var old = _storage;
        _storage = moved._storage;
        moved._storage.AddRef();
        moved.Dispose();
        old.Release();
        if (Grad is not null)
            Grad.MoveStorageTo(device);
    }

    /// <summary>Overwrites this tensor's elements with src's (same shape; no autograd).</summary>
    public void CopyFrom(Tensor src)
    {
        if (!Shape.AsSpan().SequenceEqual(src.Shape))
            throw new ArgumentException($"CopyFrom: shape {RawGan.Shape.Format(src.Shape)} into {RawGan.Shape.Format(Shape)}");
        // Convert on the host side of a move: the CUDA backend stores float32 only.
        var s = src.Device == Device.Cpu ? src.To(DType).To(Device) : src.To(Device).To(DType);
        Backend.Copy(this, s);
    }

    // ---- views ----

    /// <summary>A new view of the same storage (shares memory; the storage stays alive while any view does).</summary>
    internal Tensor View(int[] shape, int[] strides, int offset)
    {
        Storage.AddRef();
        return new Tensor(_storage, shape, strides, offset);
    }

    // ---- lifetime ----

    /// <summary>Keeps this tensor alive past the current scope (parameters, optimizer state, results).</summary>
    public Tensor DetachFromScope()
    {
        Scope = null;
        return this;
    }

    /// <summary>Hands this tensor to the enclosing scope (or none), e.g. a step's returned loss.</summary>
    public Tensor MoveToOuterScope()
    {
        var outer = Scope?.Parent;
        Scope = outer;
        outer?.Add(this);
        return this;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        Scope = null;
        GradFn = null;
        _storage.Release();
    }

    public override string ToString() =>
        $"Tensor({RawGan.Shape.Format(Shape)}, {DType.Name()}, {Device}{(RequiresGrad ? ", requires_grad" : "")})";
}
