using System.CommandLine;
using System.Text.Json;
using RawGan.Recipes;

namespace RawGan.Cli;

/// <summary>`rawgan train began`: the common flags plus BEGAN's own.</summary>
public static class TrainBegan
{
    /// <summary>The reference implementation's batch (carpedm20/BEGAN-tensorflow).</summary>
    public const int DefaultBatch = 16;

    public static Command Create(TextWriter output)
    {
        var defaults = new BeganOptions();
        var size = new Option<int>("--size") { Description = "Image size: 64, 128 (one more block) or 32 (one fewer; the CPU preset's).", DefaultValueFactory = _ => defaults.Size };
        var filters = new Option<int>("--filters") { Description = "n: encoder blocks have n, 2n, 3n, ... filters, decoder blocks n (the paper's best runs: 128).", DefaultValueFactory = _ => defaults.Filters };
        var nz = new Option<int>("--nz") { Description = "Latent size of G (z ~ U[-1, 1]).", DefaultValueFactory = _ => defaults.Nz };
        var hidden = new Option<int>("--hidden") { Description = "Size of D's embedding h.", DefaultValueFactory = _ => defaults.Hidden };
        var gamma = new Option<double>("--gamma") { Description = "Diversity ratio E[L(G(z))] / E[L(x)].", DefaultValueFactory = _ => defaults.Gamma };
        var lambdaK = new Option<double>("--lambda-k") { Description = "Learning rate of k_t.", DefaultValueFactory = _ => defaults.LambdaK };
        var lr = new Option<double>("--lr") { Description = "Adam learning rate of G and D.", DefaultValueFactory = _ => defaults.LearningRate };
        var patience = new Option<int>("--lr-patience") { Description = "Steps per window: the rates halve after a window whose mean M_global is not below the best earlier one.", DefaultValueFactory = _ => defaults.LrPatience };
        var lrMin = new Option<double>("--lr-min") { Description = "Lower bound of the halved learning rate.", DefaultValueFactory = _ => defaults.LrMin };
        var command = new Command("began", $"BEGAN (Berthelot et al. 2017): autoencoder D, k_t equilibrium control, M_global; batch {DefaultBatch}.");
        TrainCommand.AddCommon(command);
        foreach (var o in new Option[] { size, filters, nz, hidden, gamma, lambdaK, lr, patience, lrMin }) command.Options.Add(o);
        command.SetAction(parsed =>
        {
            var common = TrainCommand.ReadCommon(parsed);
            common = common with { Batch = parsed.GetValue(TrainCommand.Batch) ?? DefaultBatch };
            return TrainCommand.Run(parsed, common, "began", output, (device, synthetic) =>
            {
                var preset = new CpuPreset(parsed, device, synthetic, size);
                var options = new BeganOptions
                {
                    Size = preset.Value(size, CpuPreset.Size),
                    Filters = preset.Value(filters, 16),
                    Nz = parsed.GetValue(nz),
                    Hidden = parsed.GetValue(hidden),
                    Gamma = parsed.GetValue(gamma),
                    LambdaK = parsed.GetValue(lambdaK),
                    LearningRate = parsed.GetValue(lr),
                    LrPatience = parsed.GetValue(patience),
                    LrMin = parsed.GetValue(lrMin),
                };
                options.Validate(); // before the data is decoded, which can take minutes
                common = preset.Length(common, batch: DefaultBatch, steps: 6000);
                preset.Announce(output, "began");
                return (common, options.Size, JsonSerializer.Serialize(options));
            });
        });
        return command;
    }
}
