using System.Numerics;

namespace RawGan.Backends.Cpu;

internal struct TakeB : IPointwise { public T Apply<T>(T a, T b, T p) where T : unmanaged, IFloatingPointIeee754<T> => b; }
internal struct AddFn : IPointwise { public T Apply<T>(T a, T b, T p) where T : unmanaged, IFloatingPointIeee754<T> => a + b; }
internal struct SubFn : IPointwise { public T Apply<T>(T a, T b, T p) where T : unmanaged, IFloatingPointIeee754<T> => a - b; }
internal struct MulFn : IPointwise { public T Apply<T>(T a, T b, T p) where T : unmanaged, IFloatingPointIeee754<T> => a * b; }
internal struct DivFn : IPointwise { public T Apply<T>(T a, T b, T p) where T : unmanaged, IFloatingPointIeee754<T> => a / b; }
internal struct NegFn : IPointwise { public T Apply<T>(T a, T b, T p) where T : unmanaged, IFloatingPointIeee754<T> => -a; }
internal struct ExpFn : IPointwise { public T Apply<T>(T a, T b, T p) where T : unmanaged, IFloatingPointIeee754<T> => T.Exp(a); }
internal struct LogFn : IPointwise { public T Apply<T>(T a, T b, T p) where T : unmanaged, IFloatingPointIeee754<T> => T.Log(a); }
internal struct SqrtFn : IPointwise { public T Apply<T>(T a, T b, T p) where T : unmanaged, IFloatingPointIeee754<T> => T.Sqrt(a); }
internal struct AbsFn : IPointwise { public T Apply<T>(T a, T b, T p) where T : unmanaged, IFloatingPointIeee754<T> => T.Abs(a); }
internal struct AddScalarFn : IPointwise { public T Apply<T>(T a, T b, T p) where T : unmanaged, IFloatingPointIeee754<T> => a + p; }
internal struct MulScalarFn : IPointwise { public T Apply<T>(T a, T b, T p) where T : unmanaged, IFloatingPointIeee754<T> => a * p; }
internal struct PowScalarFn : IPointwise { public T Apply<T>(T a, T b, T p) where T : unmanaged, IFloatingPointIeee754<T> => T.Pow(a, p); }
