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
            if (FusedWithNext(i, x) is { } fused)
            {
                x = fused;
                i++;
            }
            else x = _layers[i].Forward(x);
            if (!ReferenceEquals(previous, input) && !ReferenceEquals(previous, x))
                Autograd.Autograd.Intermediate(previous);
        }
        return x;
    }

    /// <summary>
    /// Layers i and i + 1 as one fused op, when they are a pair that has one: a BatchNorm in training
    /// mode (F.BatchNormLeakyRelu), or a Conv2d with a bias (F.BiasLeakyRelu, F.BiasElu), followed by
    /// ReLU, LeakyReLU or (after a convolution) ELU. The same values with less memory traffic, and the
    /// layers and their names unchanged. Null when layer i runs alone.
    /// </summary>
    private Tensor? FusedWithNext(int i, Tensor x)
    {
        if (i + 1 >= _layers.Count) return null;
        double? slope = _layers[i + 1] switch
        {
            ReLU => 0,
            LeakyReLU leaky => leaky.NegativeSlope,
            _ => null,
        };
        return (_layers[i], _layers[i + 1]) switch
        {
            (BatchNorm { Training: true } bn, _) when slope is double s => bn.ForwardLeakyRelu(x, s),
            // The bare convolution's output is seen by the fused op alone, as a layer's output by the next.
            (Conv2d { Bias: { } bias } conv, _) when slope is double s =>
                F.BiasLeakyRelu(Autograd.Autograd.Intermediate(conv.ForwardWithoutBias(x)), bias, s),
            (Conv2d { Bias: { } bias } conv, ELU elu) =>
                F.BiasElu(Autograd.Autograd.Intermediate(conv.ForwardWithoutBias(x)), bias, elu.Alpha),
            _ => null,
        };
    }
}
