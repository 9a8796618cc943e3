using System.CommandLine;
using System.Text.Json;
using RawGan.Recipes;

namespace RawGan.Cli;

/// <summary>`rawgan train dcgan`: the common flags plus DCGAN's own.</summary>
public static class TrainDcgan
{
    public static Command Create(TextWriter output)
    {
        var size = new Option<int?>("--size") { Description = "Image size: 32, 64 or 128. Default: 64 (32 in the CPU preset)." };
        var nz = new Option<int?>("--nz") { Description = "Latent size. Default: 100 (64 in the CPU preset)." };
        var ngf = new Option<int?>("--ngf") { Description = "Generator width. Default: 64 (32 in the CPU preset)." };
        var ndf = new Option<int?>("--ndf") { Description = "Discriminator width. Default: 64 (32 in the CPU preset)." };
        var lr = new Option<double>("--lr") { Description = "Adam learning rate.", DefaultValueFactory = _ => 2e-4 };
        var beta1 = new Option<double>("--beta1") { Description = "Adam beta1.", DefaultValueFactory = _ => 0.5 };
        var smoothing = new Option<double>("--label-smoothing") { Description = "One-sided: real target 1 - s.", DefaultValueFactory = _ => 0 };
        var command = new Command("dcgan", "DCGAN (Radford et al. 2016) as in pytorch/examples: 64x64, Adam 2e-4, batch 128.");
        TrainCommand.AddCommon(command);
        foreach (var o in new Option[] { size, nz, ngf, ndf, lr, beta1, smoothing }) command.Options.Add(o);
        command.SetAction(parsed =>
        {
            var common = TrainCommand.ReadCommon(parsed);
            return TrainCommand.Run(parsed, common, "dcgan", output, (device, synthetic) =>
            {
                var preset = new CpuPreset(parsed, device, synthetic, size);
                var options = new DcganOptions
                {
                    Size = preset.Value(size, CpuPreset.Size, otherwise: 64),
                    Nz = preset.Value(nz, 64, otherwise: 100),
                    Ngf = preset.Value(ngf, 32, otherwise: 64),
                    Ndf = preset.Value(ndf, 32, otherwise: 64),
                    LearningRate = parsed.GetValue(lr),
                    Beta1 = parsed.GetValue(beta1),
                    LabelSmoothing = parsed.GetValue(smoothing),
                };
                options.Validate(); // before the data is decoded, which can take minutes
                common = preset.Length(common, batch: 64, steps: 2000);
                preset.Announce(output, "dcgan");
                return (common, options.Size, JsonSerializer.Serialize(options));
            });
        });
        return command;
    }
}
