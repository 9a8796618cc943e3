namespace RawGan.Nn;

/// <summary>Runs its children in order. They are registered as "0", "1", ... so parameter names
/// read as in PyTorch (<c>main.0.weight</c> for a Sequential registered as "main").</summary>
public sealed class Sequential : Module
{
    private readonly List<Module> _layers = [];

    public Sequential(params Module[] layers)
    {
        foreach (var layer in layers) Append(layer);
    }

    public int Count => _layers.Count;

    public Module this[int index] => _layers[index];

    public Sequential Append(Module layer)
    {
        _layers.Add(RegisterModule(_layers.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), layer));
        return this;
    }

    public override Tensor Forward(Tensor x)
    {
        // Each layer's output but the last is seen by the next layer alone: backward may free it.
        var input = x;
        for (int i = 0; i < _layers.Count; i++)
        {
            var previous = x;
            x = _layers[i].Forward(x);
            if (!ReferenceEquals(previous, input) && !ReferenceEquals(previous, x))
                Autograd.Autograd.Intermediate(previous);
        }
        return x;
    }
}
