using System.CommandLine;
using System.Text.Json;
using RawGan.Recipes;

namespace RawGan.Cli;

/// <summary>`rawgan train vaegan`: the torchfaces flags plus the encoder's width and the loss weights.</summary>
public static class TrainVaeGan
{
    public static Command Create(TextWriter output)
    {
        var defaults = new VaeGanOptions();
        var nef = new Option<int>("--nef") { Description = "Encoder width: channels nef, 2nef, 4nef.", DefaultValueFactory = _ => defaults.Nef };
        var kl = new Option<double>("--kl-weight") { Description = "Weight of the KL divergence to N(0, I).", DefaultValueFactory = _ => defaults.KlWeight };
        var recon = new Option<double>("--recon-weight") { Description = "Weight of the reconstruction's mean squared error.", DefaultValueFactory = _ => defaults.ReconWeight };
        var gan = new Option<double>("--gan-weight") { Description = "Weight of the GAN error f on the decoder.", DefaultValueFactory = _ => defaults.GanWeight };
        var command = new Command("vaegan", "VAE/GAN: an encoder, the torchfaces generator as decoder and its discriminator; writes recon/ grids too.");
        TrainTorchFaces.AddGanOptions(command);
        foreach (var o in new Option[] { nef, kl, recon, gan }) command.Options.Add(o);
        command.SetAction(parsed =>
        {
            var common = TrainCommand.ReadCommon(parsed);
            return TrainCommand.Run(parsed, common, "vaegan", output, (device, synthetic) =>
            {
                var preset = new CpuPreset(parsed, device, synthetic, TrainTorchFaces.Size);
                var options = TrainTorchFaces.ReadGanOptions<VaeGanOptions>(parsed, preset) with
                {
                    Nef = preset.Value(nef, 32),
                    KlWeight = parsed.GetValue(kl),
                    ReconWeight = parsed.GetValue(recon),
                    GanWeight = parsed.GetValue(gan),
                };
                options.Validate(); // before the data is decoded, which can take minutes
                common = preset.Length(TrainTorchFaces.WithSeedBatch(common, parsed), batch: TrainTorchFaces.SeedBatch, steps: 600);
                preset.Announce(output, "vaegan");
                return (common, options.Size, JsonSerializer.Serialize(options));
            });
        });
        return command;
    }
}
