using RawGan.Nn;
using RawGan.Optim;

namespace RawGan.Recipes;

/// <summary>
/// What the training loop needs from a GAN: its networks and optimizers (saved in checkpoints by
/// name), one training iteration, and the generator for samples. The loop, data, run folder and
/// checkpoints are shared by every recipe; a recipe file shows only its paper's architecture,
/// losses and update rules.
/// </summary>
public interface IGanRecipe : IDisposable
{
    /// <summary>The `rawgan train NAME` of this recipe.</summary>
    string Name { get; }

    /// <summary>Networks by checkpoint prefix ("G", "D", ...), in a fixed order.</summary>
    IReadOnlyList<(string Name, Module Module)> Modules { get; }

    IReadOnlyList<(string Name, Optimizer Optimizer)> Optimizers { get; }

    /// <summary>The stream of latent noise the training steps draw from; checkpoints save its offset.</summary>
    Generator Noise { get; }

    /// <summary>Names of the scalars <see cref="Step"/> returns, in order (metrics.jsonl columns).</summary>
    IReadOnlyList<string> MetricNames { get; }

    /// <summary>One iteration on a batch of real images (NCHW in the data range). Returns one
    /// one-element tensor per metric name; they stay on the device until the loop reads them.</summary>
    IReadOnlyList<Tensor> Step(Tensor real);

    /// <summary>Called by the training loop with a step's metrics once it has read them back; recipes
    /// whose schedule depends on metric values (BEGAN's learning-rate plateau) update it here, on the
    /// host, so that <see cref="Step"/> itself never waits for the device. The loop keeps one step in
    /// flight: step j's metrics come after step j+1 was launched (in every run, resumed or not), so
    /// what this changes takes effect from step j+2.</summary>
    void AfterStep(IReadOnlyList<double> metrics) { }

    /// <summary>Whether <see cref="Step"/> only queues device work (it reads nothing back and uploads
    /// nothing from the host), so that `--graph on` can capture it whole in a CUDA graph and replay
    /// it. Recipes whose balancing rules decide on the host in mid-step (torchfaces, vaegan) cannot.</summary>
    bool Capturable => false;

    /// <summary>Called before each step with the epoch (0-based) the step belongs to, on a fresh run and
    /// after a resume alike: recipes whose seed schedules by epoch (torchfaces' learning rate) set
    /// their state from it here, so it needs no checkpoint.</summary>
    void StartEpoch(int epoch) { }

    /// <summary>Latent vectors for count images, drawn from the recipe's prior.</summary>
    Tensor SampleLatent(int count, Generator generator);

    /// <summary>Images for latents z, with the generator in eval mode and no graph recorded.</summary>
    Tensor Generate(Tensor z);

    /// <summary>Whether a step's metrics show D winning outright (its loss under 0.05) while G's loss is
    /// over 5: the DCGAN seed's sign of collapse. The trainer warns when it lasts. Default: loss_D, loss_G.</summary>
    bool DWinsOutright(IReadOnlyList<double> metrics) => Metric(metrics, "loss_D") < 0.05 && Metric(metrics, "loss_G") > 5;

    /// <summary>A metric of this step by name; NaN when the recipe has none of that name.</summary>
    double Metric(IReadOnlyList<double> metrics, string name)
    {
        int i = MetricNames.ToList().IndexOf(name);
        return i < 0 ? double.NaN : metrics[i];
    }

    /// <summary>The pixel range of the images Step receives and Generate returns.</summary>
    Images.PixelRange DataRange => Images.PixelRange.MinusOneToOne;

    /// <summary>The generator network itself (every recipe registers it as "G"), for tools that
    /// differentiate through it, such as latent inversion.</summary>
    Module GeneratorModule => Modules.First(m => m.Name == "G").Module;

    /// <summary>monitor.png's panels: a title and the metric names drawn in it.</summary>
    IReadOnlyList<(string Title, string[] Series)> MonitorPanels => DefaultPanels(MetricNames);

    /// <summary>Outputs of the recipe's own written beside each sample grid (e.g. reconstructions in
    /// recon/), given a fixed batch of real images.</summary>
    void SaveExtras(Training.RunFolder folder, long step, Tensor fixedReal) { }

    /// <summary>Losses in one panel, D's outputs in another, anything else in a third.</summary>
    static IReadOnlyList<(string Title, string[] Series)> DefaultPanels(IReadOnlyList<string> names)
    {
        var losses = names.Where(n => n.StartsWith("loss", StringComparison.Ordinal)).ToArray();
        var outputs = names.Where(n => n.StartsWith("D_", StringComparison.Ordinal)).ToArray();
        var rest = names.Except(losses).Except(outputs).ToArray();
        var panels = new List<(string, string[])> { ("losses", losses) };
        if (outputs.Length > 0) panels.Add(("discriminator outputs", outputs));
        if (rest.Length > 0) panels.Add(("other", rest));
        return panels;
    }
}
