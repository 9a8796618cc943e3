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
            if (LeakySlopeAfterBatchNorm(i) is double slope)
            {
                x = ((BatchNorm)_layers[i]).ForwardLeakyRelu(x, slope);
                i++;
            }
            else x = _layers[i].Forward(x);
            if (!ReferenceEquals(previous, input) && !ReferenceEquals(previous, x))
                Autograd.Autograd.Intermediate(previous);
        }
        return x;
    }

    /// <summary>The slope of the ReLU (0) or LeakyReLU after layer i when layer i is a BatchNorm in
    /// training mode: the pair then runs as one op (F.BatchNormLeakyRelu), the same values with less
    /// memory traffic and no stored normalised tensor.</summary>
    private double? LeakySlopeAfterBatchNorm(int i)
    {
        if (_layers[i] is not BatchNorm { Training: true } || i + 1 >= _layers.Count) return null;
        return _layers[i + 1] switch
        {
            ReLU => 0,
            LeakyReLU leaky => leaky.NegativeSlope,
            _ => null,
        };
    }
}
