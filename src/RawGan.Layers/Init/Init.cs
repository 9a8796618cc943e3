namespace RawGan.Nn;

/// <summary>The nonlinearity a weight feeds, for <see cref="Init.CalculateGain"/>.</summary>
public enum Nonlinearity { Linear, Sigmoid, Tanh, Relu, LeakyRelu }

/// <summary>Which fan scales a Kaiming initialisation: fan-in keeps forward activations' variance,
/// fan-out the backward gradients'.</summary>
public enum FanMode { FanIn, FanOut }

/// <summary>
/// In-place initialisers with torch.nn.init's meaning, drawing from a Philox <see cref="Generator"/>:
/// the same seed gives the same weights on every backend (not PyTorch's numbers: its CPU generator
/// is a Mersenne Twister). Each returns the tensor it filled.
/// </summary>
public static partial class Init
{
    /// <summary>The stream layers draw from when no generator is passed (PyTorch's global seed).
    /// It is shared by all threads: pass a generator of your own where determinism matters.</summary>
    public static Generator DefaultGenerator { get; set; } = new(0);

    public static Tensor Uniform(Tensor tensor, double low = 0, double high = 1, Generator? generator = null)
    {
        CheckWritable(tensor);
        var (seed, offset) = (generator ?? DefaultGenerator).Reserve(tensor.NumEl);
        tensor.Backend.RandomUniform(tensor, seed, offset, low, high);
        return tensor;
    }

    public static Tensor Normal(Tensor tensor, double mean = 0, double std = 1, Generator? generator = null)
    {
        CheckWritable(tensor);
        var (seed, offset) = (generator ?? DefaultGenerator).Reserve(tensor.NumEl);
        tensor.Backend.RandomNormal(tensor, seed, offset, mean, std);
        return tensor;
    }

    public static Tensor Constant(Tensor tensor, double value)
    {
        CheckWritable(tensor);
        return tensor.Fill(value);
    }

    public static Tensor Zeros(Tensor tensor) => Constant(tensor, 0);

    public static Tensor Ones(Tensor tensor) => Constant(tensor, 1);

    /// <summary>U(-b, b) with b = gain * sqrt(3 / fan): variance gain^2 / fan (He et al. 2015).
    /// With a = sqrt(5) this is the default of Linear and the convolutions, b = 1 / sqrt(fan_in).</summary>
    public static Tensor KaimingUniform(Tensor tensor, double a = 0, FanMode mode = FanMode.FanIn,
        Nonlinearity nonlinearity = Nonlinearity.LeakyRelu, Generator? generator = null)
    {
        var (fanIn, fanOut) = CalculateFanInAndFanOut(tensor);
        int fan = mode == FanMode.FanIn ? fanIn : fanOut;
        double bound = Math.Sqrt(3.0) * CalculateGain(nonlinearity, a) / Math.Sqrt(fan);
        return Uniform(tensor, -bound, bound, generator);
    }

    /// <summary>U(-b, b) with b = gain * sqrt(6 / (fan_in + fan_out)) (Glorot and Bengio 2010).</summary>
    public static Tensor XavierUniform(Tensor tensor, double gain = 1, Generator? generator = null)
    {
        var (fanIn, fanOut) = CalculateFanInAndFanOut(tensor);
        double bound = gain * Math.Sqrt(6.0 / (fanIn + fanOut));
        return Uniform(tensor, -bound, bound, generator);
    }

    /// <summary>PyTorch's recommended gains; <paramref name="negativeSlope"/> is leaky ReLU's slope.</summary>
    public static double CalculateGain(Nonlinearity nonlinearity, double negativeSlope = 0.01) => nonlinearity switch
    {
        Nonlinearity.Linear or Nonlinearity.Sigmoid => 1,
        Nonlinearity.Tanh => 5.0 / 3,
        Nonlinearity.Relu => Math.Sqrt(2),
        Nonlinearity.LeakyRelu => Math.Sqrt(2 / (1 + negativeSlope * negativeSlope)),
        _ => throw new ArgumentOutOfRangeException(nameof(nonlinearity), nonlinearity, null),
    };

    /// <summary>fan_in = size(1) * receptive field, fan_out = size(0) * receptive field, as PyTorch
    /// computes them for every layout: so for a transposed conv's IOHW weight, fan_in counts the
    /// output channels (PyTorch's convention, kept so default initialisations match).</summary>
    public static (int FanIn, int FanOut) CalculateFanInAndFanOut(Tensor tensor)
    {
        if (tensor.Rank < 2)
            throw new ArgumentException($"fan in and fan out need at least 2 dimensions, got shape {RawGan.Shape.Format(tensor.Shape)}");
        int receptive = RawGan.Shape.NumEl(tensor.Shape.AsSpan(2));
        return (tensor.Shape[1] * receptive, tensor.Shape[0] * receptive);
    }

    /// <summary>The default of Linear and the convolutions (their reset_parameters in PyTorch):
    /// weight by <see cref="KaimingUniform"/> with a = sqrt(5), i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)),
    /// then bias from the same bound; weight first, then bias, from one generator.</summary>
    internal static void LayerDefault(Tensor weight, Tensor? bias, Generator? generator)
    {
        KaimingUniform(weight, a: Math.Sqrt(5), generator: generator);
        if (bias is null) return;
        int fanIn = CalculateFanInAndFanOut(weight).FanIn;
        double bound = fanIn > 0 ? 1 / Math.Sqrt(fanIn) : 0;
        Uniform(bias, -bound, bound, generator);
    }

    private static void CheckWritable(Tensor tensor)
    {
        if (!tensor.IsContiguous)
            throw new ArgumentException($"initialisers write contiguous tensors in place; got a strided view of shape {RawGan.Shape.Format(tensor.Shape)}");
    }
}
