using System.Text.Json;
using RawGan.Serialization;

namespace RawGan.Tests;

/// <summary>The PyTorch reference cases of tools/fixtures/make_fixtures.py, copied next to the test
/// binary under fixtures/&lt;group&gt;/ (ops, optim, models, format).</summary>
public static class Fixtures
{
    public static string Dir(string group) => Path.Combine(AppContext.BaseDirectory, "fixtures", group);

    /// <summary>The case names of one group (file names without .safetensors), in ordinal order.</summary>
    public static IEnumerable<string> Names(string group) =>
        Directory.EnumerateFiles(Dir(group), "*.safetensors")
            .Select(path => Path.GetFileNameWithoutExtension(path))
            .Order(StringComparer.Ordinal);

    public static Fixture Load(string group, string name) =>
        new($"{group}/{name}", SafeTensorsFile.Read(Path.Combine(Dir(group), name + ".safetensors")));
}

/// <summary>
/// One reference case: float64 tensors as RawGan tensors, its op and args (tools/fixtures/README.md).
/// It records which tensors and args a test read or compared, so <see cref="Unused"/> can
/// catch a test that silently ignores a stored gradient or a hyper-parameter.
/// </summary>
public sealed class Fixture
{
    private readonly SafeTensorsFile _file;
    private readonly JsonElement _args;
    private readonly HashSet<string> _usedTensors = [];
    private readonly HashSet<string> _usedArgs = [];

    internal Fixture(string name, SafeTensorsFile file)
    {
        Name = name;
        _file = file;
        using var args = JsonDocument.Parse(file.Metadata["args"]);
        _args = args.RootElement.Clone();
    }

    /// <summary>"group/case", as failure messages name it.</summary>
    public string Name { get; }

    public string Op => _file.Metadata["op"];

    public bool Has(string tensor) => _file.Contains(tensor);

    /// <summary>A fresh float64 tensor holding the stored values (a leaf when requiresGrad).</summary>
    public Tensor Tensor(string name, bool requiresGrad = false)
    {
        var entry = Entry(name);
        var t = RawGan.Tensor.FromArray(entry.ToDoubleArray(), entry.Shape);
        t.RequiresGrad = requiresGrad;
        return t;
    }

    // ---- args ----

    public int Int(string key) => Arg(key).GetInt32();

    public double Double(string key) => Arg(key).GetDouble();

    public bool Bool(string key) => Arg(key).GetBoolean();

    /// <summary>A 2-d hyper-parameter, [height, width].</summary>
    public (int H, int W) Pair(string key)
    {
        var a = Arg(key);
        if (a.GetArrayLength() != 2) Assert.Fail($"{Name}: arg '{key}' is {a}, expected [height, width]");
        return (a[0].GetInt32(), a[1].GetInt32());
    }

    /// <summary>An int list, or null where the fixture stores null.</summary>
    public int[]? IntsOrNull(string key)
    {
        var a = Arg(key);
        return a.ValueKind == JsonValueKind.Null ? null : [.. a.EnumerateArray().Select(e => e.GetInt32())];
    }

    /// <summary>An arg the RawGan op has no parameter for: the fixture must hold the one value the op
    /// implements, else the case asks for behaviour RawGan does not offer.</summary>
    public void Require<T>(string key, T implemented)
    {
        var actual = JsonSerializer.Deserialize<T>(Arg(key));
        if (!EqualityComparer<T>.Default.Equals(actual, implemented))
            Assert.Fail($"{Name}: arg '{key}' is {Arg(key)}, but RawGan's {Op} implements only {JsonSerializer.Serialize(implemented)}");
    }

    /// <summary>Pair form of <see cref="Require{T}"/>.</summary>
    public void Require(string key, (int H, int W) implemented)
    {
        if (Pair(key) != implemented)
            Assert.Fail($"{Name}: arg '{key}' is {Arg(key)}, but RawGan's {Op} implements only [{implemented.H}, {implemented.W}]");
    }

    // ---- comparison ----

    /// <summary>
    /// Null when actual has the stored shape and max |actual - expected| &lt;= tol (1 + max |expected|):
    /// float64 round-off from a different summation order passes. Otherwise a message naming the case,
    /// the tensor and its worst element with both values.
    /// </summary>
    public string? Mismatch(string name, Tensor actual, double tol)
    {
        var entry = Entry(name);
        if (!actual.Shape.AsSpan().SequenceEqual(entry.Shape))
            return $"{Name}: {name} has shape {Shape.Format(actual.Shape)}, PyTorch's has {Shape.Format(entry.Shape)}";
        var expected = entry.ToDoubleArray();
        var got = actual.ToDoubleArray();
        double scale = expected.Length == 0 ? 0 : expected.Max(Math.Abs);
        int worst = -1;
        double worstDiff = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double diff = Math.Abs(got[i] - expected[i]);
            if (double.IsNaN(diff)) diff = double.PositiveInfinity;
            if (worst < 0 || diff > worstDiff) (worst, worstDiff) = (i, diff);
        }
        double bound = tol * (1 + scale);
        return worst < 0 || worstDiff <= bound
            ? null
            : $"{Name}: {name} differs from PyTorch at {Shape.Format(Unravel(worst, entry.Shape))}: " +
              $"RawGan {got[worst]:R}, PyTorch {expected[worst]:R} (|diff| {worstDiff:G3} > {bound:G3})";
    }

    /// <summary>Null when the test read or compared every stored tensor and arg, else a message naming
    /// the ones it ignored.</summary>
    public string? Unused()
    {
        var tensors = _file.Entries.Select(e => e.Name).Where(n => !_usedTensors.Contains(n)).ToList();
        var args = _args.EnumerateObject().Select(p => p.Name).Where(k => !_usedArgs.Contains(k)).ToList();
        return tensors.Count == 0 && args.Count == 0
            ? null
            : $"{Name}: the test ignores tensor(s) [{string.Join(", ", tensors)}] and arg(s) [{string.Join(", ", args)}]";
    }

    private SafeTensorsEntry Entry(string name)
    {
        if (!_file.TryGet(name, out var entry)) Assert.Fail($"{Name}: no tensor '{name}'");
        if (entry.DType != SafeTensorsDType.F64) Assert.Fail($"{Name}: tensor '{name}' is {entry.DType}, expected F64");
        _usedTensors.Add(name);
        return entry;
    }

    private JsonElement Arg(string key)
    {
        if (!_args.TryGetProperty(key, out var value)) Assert.Fail($"{Name}: no arg '{key}' in {_args}");
        _usedArgs.Add(key);
        return value;
    }

    private static int[] Unravel(int flat, int[] shape)
    {
        var index = new int[shape.Length];
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            index[d] = flat % shape[d];
            flat /= shape[d];
        }
        return index;
    }
}
