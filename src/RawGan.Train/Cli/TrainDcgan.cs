using System.CommandLine;
using System.Text.Json;
using RawGan.Recipes;

namespace RawGan.Cli;

/// <summary>`rawgan train dcgan`: the common flags plus DCGAN's own.</summary>
public static class TrainDcgan
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var size = new Option<int?>("--size") { Description = "Image size: 32, 64 or 128. Default: 64 (32 for the CPU preset)." };
        var nz = new Option<int?>("--nz") { Description = "Latent size. Default: 100." };
        var ngf = new Option<int?>("--ngf") { Description = "Generator width. Default: 64." };
        var ndf = new Option<int?>("--ndf") { Description = "Discriminator width. Default: 64." };
        var lr = new Option<double>("--lr") { Description = "Adam learning rate.", DefaultValueFactory = _ => 2e-4 };
        var beta1 = new Option<double>("--beta1") { Description = "Adam beta1.", DefaultValueFactory = _ => 0.5 };
        var smoothing = new Option<double>("--label-smoothing") { Description = "One-sided: real target 1 - s.", DefaultValueFactory = _ => 0 };
        var command = new Command("dcgan", "DCGAN (Radford et al. 2016) as in pytorch/examples: 64x64, Adam 2e-4, batch 128.");
        TrainCommand.AddCommon(command);
        foreach (var o in new Option[] { size, nz, ngf, ndf, lr, beta1, smoothing }) command.Options.Add(o);
        command.SetAction(parsed =>
        {
            var common = TrainCommand.ReadCommon(parsed);
            return TrainCommand.Run(common, "dcgan", output, error, (device, synthetic) =>
            {
                // Without a GPU or data, a smaller net on 32x32 faces finishes in minutes (docs/cpu-preset.md).
                bool preset = synthetic && device == RawGan.Device.Cpu && parsed.GetValue(size) is null;
                var options = new DcganOptions
                {
                    Size = parsed.GetValue(size) ?? (preset ? CpuPreset.Size : 64),
                    Nz = parsed.GetValue(nz) ?? (preset ? CpuPreset.Nz : 100),
                    Ngf = parsed.GetValue(ngf) ?? (preset ? CpuPreset.Width : 64),
                    Ndf = parsed.GetValue(ndf) ?? (preset ? CpuPreset.Width : 64),
                    LearningRate = parsed.GetValue(lr),
                    Beta1 = parsed.GetValue(beta1),
                    LabelSmoothing = parsed.GetValue(smoothing),
                };
                if (preset)
                {
                    common = common with { Batch = parsed.GetValue(TrainCommand.Batch) ?? CpuPreset.Batch, Steps = common.Steps ?? (common.Epochs is null ? CpuPreset.Steps : null) };
                    output.WriteLine($"no GPU and no --data: CPU preset {options.Size}x{options.Size}, ngf=ndf={options.Ngf}, nz={options.Nz}, batch {common.Batch}, " +
                                     $"{common.Steps?.ToString() ?? $"{common.Epochs} epochs"} steps (override with --size/--ngf/--ndf/--nz/--batch/--steps)");
                }
                return (common, options.Size, JsonSerializer.Serialize(options));
            });
        });
        return command;
    }
}
