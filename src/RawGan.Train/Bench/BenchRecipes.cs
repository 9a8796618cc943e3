using System.Text.Json.Nodes;
using RawGan.Recipes;

namespace RawGan.Bench;

/// <summary>What a network does to the batch at one point of a training step.</summary>
public enum PassKind
{
    /// <summary>A forward pass.</summary>
    Forward,
    /// <summary>A backward pass whose input needs no gradient (images, latents, detached fakes): dW of
    /// every weighted layer, dX of every one but the first.</summary>
    Backward,
    /// <summary>A backward pass that also carries the gradient into the input (D's pass on G's images in G's step).</summary>
    BackwardToInput,
}

/// <summary>One pass of a network (by its name in <see cref="IGanRecipe.Modules"/>) over
/// <paramref name="Images"/> images per image of the batch.</summary>
public readonly record struct Pass(string Network, PassKind Kind, int Images = 1);

/// <summary>
/// A recipe as the benchmark runs it: the options it changes from the recipe's defaults so that
/// every iteration does the same work, and the passes of one <see cref="IGanRecipe.Step"/> that
/// the FLOP count adds up. Every network named "G" is fed latents, every other network images.
/// </summary>
public sealed record BenchRecipe(string Name, IReadOnlyDictionary<string, string> Overrides, IReadOnlyList<Pass> Step)
{
    /// <summary>The recipe's options JSON: its defaults, the overrides, and the image size if one is given.</summary>
    public string OptionsJson(int? size)
    {
        var options = new JsonObject();
        foreach (var (key, value) in Overrides) options[key] = value;
        if (size is { } s) options["Size"] = s;
        return options.ToJsonString();
    }

    /// <summary>FLOPs of one step per image of the batch, from the traced networks.</summary>
    public long FlopsPerImage(IReadOnlyDictionary<string, NetworkFlops> networks) => Step.Sum(p =>
    {
        var n = networks[p.Network];
        return p.Images * p.Kind switch
        {
            PassKind.Forward => n.Forward,
            PassKind.Backward => n.Backward(inputGradient: false),
            _ => n.Backward(inputGradient: true),
        };
    });
}

/// <summary>The step of each recipe, pass by pass, as its Step method runs it.</summary>
public static class BenchRecipes
{
    private const PassKind Fwd = PassKind.Forward, Bwd = PassKind.Backward, BwdX = PassKind.BackwardToInput;

    private static readonly Dictionary<string, string> NoOverrides = [];

    /// <summary>The balancing rule of the Torch faces recipes skips D's or G's update depending on
    /// D's errors, so a step's work would vary; the benchmark turns it off (both update every step).</summary>
    private static readonly Dictionary<string, string> Unbalanced = new() { ["Balance"] = nameof(BalanceRule.None) };

    /// <summary>
    /// DCGAN and the TF tutorial's DCGAN have the same step:
    /// D on real: forward + backward (no dX into the images); G on z: forward;
    /// D on G(z).Detach(): forward + backward (no dX); G's step: D on G(z) forward + backward with
    /// dX (into G's images), then G's backward (no dX into z). D's weight gradients of G's step are
    /// computed, then zeroed, as in PyTorch. Per image: 3 F_G + 9 F_D, less the three skipped dX
    /// (G's first layer once, D's first layer twice).
    /// </summary>
    private static readonly Pass[] DcganStep = [new("D", Fwd), new("D", Bwd), new("G", Fwd), new("D", Fwd), new("D", Bwd), new("D", Fwd), new("D", BwdX), new("G", Bwd)];

    public static IReadOnlyList<BenchRecipe> All { get; } =
    [
        new("dcgan", NoOverrides, DcganStep),
        new("tfdcgan", NoOverrides, DcganStep),
        // torchfaces: G forward without a graph (D's fakes); D on real and on fakes, forward, then one
        // backward of their mean (no dX either time); G's step: G on fresh z forward, D forward +
        // backward with dX, G backward (no dX into z).
        new("torchfaces", Unbalanced,
            [new("G", Fwd), new("D", Fwd), new("D", Fwd), new("D", Bwd), new("D", Bwd), new("G", Fwd), new("D", Fwd), new("D", BwdX), new("G", Bwd)]),
        // vaegan: D's half as torchfaces (G forward without a graph, D twice forward + backward, no dX);
        // then E on real forward; G on [z from E, z from the prior], 2 images per batch image, forward;
        // D on the prior half forward + backward with dX; G backward on both halves, with dX (z from E
        // carries a gradient into E); E backward (no dX into the images).
        new("vaegan", Unbalanced,
            [new("G", Fwd), new("D", Fwd), new("D", Fwd), new("D", Bwd), new("D", Bwd),
             new("E", Fwd), new("G", Fwd, 2), new("D", Fwd), new("D", BwdX), new("G", BwdX, 2), new("E", Bwd)]),
        // began (D is an autoencoder): G forward without a graph (D's fakes); D on real and on those
        // fakes, forward + backward (no dX: L(v) = |v - D(v)| differentiates v only elementwise);
        // G's step: G forward, D forward + backward with dX, G backward (no dX into z).
        new("began", NoOverrides,
            [new("G", Fwd), new("D", Fwd), new("D", Bwd), new("D", Fwd), new("D", Bwd), new("G", Fwd), new("D", Fwd), new("D", BwdX), new("G", Bwd)]),
    ];

    /// <summary>The benchmark's description of a catalog recipe (BenchTests checks every one has one).</summary>
    public static BenchRecipe Get(string name) => All.FirstOrDefault(r => r.Name == name)
        ?? throw new ArgumentException($"the benchmark has no step description for recipe '{name}': add it to {nameof(BenchRecipes)}");
}
