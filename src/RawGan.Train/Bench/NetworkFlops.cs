using RawGan.Nn;

namespace RawGan.Bench;

/// <summary>The forward FLOPs of one image through one weighted layer (2 per multiply-add).</summary>
public sealed record LayerFlops(string Layer, string Kind, long Forward);

/// <summary>
/// The convolution, transposed-convolution and linear layers of one network, in the order they
/// run, with the FLOPs of one image's forward pass through each. Batch norm, activations, pooling
/// and resampling are left out: they move memory but do few multiply-adds.
///
/// Backward of a weighted layer = its input gradient (dX) + its weight gradient (dW), each as many
/// multiply-adds as its forward, so forward + backward = 3x forward. The autograd skips dX where
/// the input needs no gradient (Conv2d, ConvTranspose2d and Matmul check RequiresGrad), which
/// happens only at the first weighted layer: images and latents are leaves, and every later
/// layer's input comes from a parameter.
/// </summary>
public sealed record NetworkFlops(IReadOnlyList<LayerFlops> Layers)
{
    public long Forward => Layers.Sum(l => l.Forward);

    /// <summary>dX and dW of every layer, less the first layer's dX unless the input takes a gradient.</summary>
    public long Backward(bool inputGradient) => 2 * Forward - (inputGradient || Layers.Count == 0 ? 0 : Layers[0].Forward);

    /// <summary>
    /// Runs one input (batch 1) through the network's leaf modules one by one, in registration
    /// order, and reads each weighted layer's FLOPs off its shapes. Registration order is execution
    /// order for a Sequential and for the recipes' encoder-then-decoder modules; the whole network's
    /// output is checked against the walk's, so a module that runs its children otherwise throws
    /// instead of giving a wrong count. Runs in eval mode under no-grad, then returns the network to
    /// training mode (every recipe's Step sets the mode it needs anyway).
    /// </summary>
    public static NetworkFlops Trace(Module network, Tensor input)
    {
        if (input.Shape[0] != 1) throw new ArgumentException($"FLOP trace: the input must hold one image, got {Shape.Format(input.Shape)}");
        var layers = new List<LayerFlops>();
        network.Eval();
        try
        {
            using var scope = new TensorScope();
            using var noGrad = Autograd.Autograd.NoGrad();
            var x = input;
            foreach (var (name, module) in network.NamedModules().Where(m => !m.Module.Children().Any()))
            {
                var y = module.Forward(x);
                var flops = Count(module, x.Shape, y.Shape);
                if (flops is { } f) layers.Add(new LayerFlops(name, module.GetType().Name, f));
                x = y;
            }
            var whole = network.Forward(input);
            if (!whole.Shape.SequenceEqual(x.Shape))
                throw new NotSupportedException($"FLOP trace: {network.GetType().Name} does not run its layers in registration order " +
                                                $"(layer by layer {Shape.Format(x.Shape)}, whole {Shape.Format(whole.Shape)})");
        }
        finally
        {
            network.Train();
        }
        return new NetworkFlops(layers);
    }

    /// <summary>One image's forward FLOPs of a weighted layer from its input and output shapes; null for other layers.</summary>
    public static long? Count(Module module, int[] input, int[] output) => module switch
    {
        // Every output element is a dot product over (C / groups) k^2 inputs.
        Conv2d c => 2L * c.OutChannels * (c.InChannels / c.Groups) * c.KernelSize * c.KernelSize * output[2] * output[3],
        // Every input element is scattered through (O / groups) k^2 weights: counted on the input
        // grid, not the output grid (a stride-s layer reaches each output from only k^2 / s^2 taps).
        ConvTranspose2d t => 2L * t.InChannels * (t.OutChannels / t.Groups) * t.KernelSize * t.KernelSize * input[2] * input[3],
        // Every row of the input (all dimensions but the batch and the last) meets the [out, in] weight.
        Linear l => 2L * l.InFeatures * l.OutFeatures * (input.Skip(1).Aggregate(1L, (a, d) => a * d) / l.InFeatures),
        _ => null,
    };
}
