using System.CommandLine;
using System.Text.Json;
using RawGan.Recipes;
using RawGan.Training;

namespace RawGan.Cli;

/// <summary>`rawgan train torchfaces`: the common flags plus the Torch faces GAN's own (shared by vaegan).</summary>
public static class TrainTorchFaces
{
    /// <summary>The seed's batch of 128 is 64 reals and 64 fakes: without --batch, 64 reals per step.</summary>
    public const int SeedBatch = 64;

    private static readonly TorchFacesOptions Defaults = new();
    public static readonly Option<int> Size = new("--size") { Description = "Image size: 64 (the seed's) or 32.", DefaultValueFactory = _ => Defaults.Size };
    private static readonly Option<int> Nz = new("--nz") { Description = "Latent size.", DefaultValueFactory = _ => Defaults.Nz };
    private static readonly Option<int> Ngf = new("--ngf") { Description = "Generator width: channels ngf, 2ngf, 2ngf, ngf.", DefaultValueFactory = _ => Defaults.Ngf };
    private static readonly Option<int> Ndf = new("--ndf") { Description = "Discriminator width: channels ndf, 2ndf, 3ndf.", DefaultValueFactory = _ => Defaults.Ndf };
    private static readonly Option<int> Hidden = new("--hidden") { Description = "Width of the discriminator's dense layer.", DefaultValueFactory = _ => Defaults.Hidden };
    private static readonly Option<double> ConvDropout = new("--conv-dropout") { Description = "Dropout after each discriminator convolution.", DefaultValueFactory = _ => Defaults.ConvDropout };
    private static readonly Option<double> DenseDropout = new("--dense-dropout") { Description = "Dropout after the discriminator's dense layer.", DefaultValueFactory = _ => Defaults.DenseDropout };
    private static readonly Option<double> Lr = new("--lr") { Description = "RMSprop learning rate.", DefaultValueFactory = _ => Defaults.LearningRate };
    private static readonly Option<double> LrDecay = new("--lr-decay") { Description = "Learning-rate factor per epoch (the seed's 0.99; 1 keeps it fixed).", DefaultValueFactory = _ => Defaults.LrDecay };
    private static readonly Option<double> Decay = new("--decay") { Description = "RMSprop decay of the mean square (Torch's alpha).", DefaultValueFactory = _ => Defaults.Decay };
    private static readonly Option<string> Balance = new("--balance")
    {
        Description = "skip: a network sits out steps where it is too far ahead (margin 0.3); l2: D's L2 coefficient follows G's error; none.",
        DefaultValueFactory = _ => "skip",
    };
    private static readonly Option<double> CoefL2 = new("--coef-l2") { Description = "D's L2 coefficient at the start (--balance l2 moves it).", DefaultValueFactory = _ => Defaults.CoefL2 };

    static TrainTorchFaces() => Balance.AcceptOnlyFromAmong("skip", "l2", "none");

    public static Command Create(TextWriter output)
    {
        var command = new Command("torchfaces", "The 2015 Torch faces GAN: upsampling G, dropout D, RMSprop, balanced by skipping updates or by D's L2 penalty.");
        AddGanOptions(command);
        command.SetAction(parsed =>
        {
            var common = TrainCommand.ReadCommon(parsed);
            return TrainCommand.Run(parsed, common, "torchfaces", output, (device, synthetic) =>
            {
                var preset = new CpuPreset(parsed, device, synthetic, Size);
                var options = ReadGanOptions<TorchFacesOptions>(parsed, preset);
                options.Validate(); // before the data is decoded, which can take minutes
                common = preset.Length(WithSeedBatch(common, parsed), batch: SeedBatch, steps: 1000);
                preset.Announce(output, "torchfaces");
                return (common, options.Size, JsonSerializer.Serialize(options));
            });
        });
        return command;
    }

    public static TrainOptions WithSeedBatch(TrainOptions common, ParseResult parsed) =>
        common with { Batch = parsed.GetValue(TrainCommand.Batch) ?? SeedBatch };

    /// <summary>The common flags and the GAN's, for torchfaces and the recipes built on it.</summary>
    public static void AddGanOptions(Command command)
    {
        TrainCommand.AddCommon(command);
        foreach (var o in new Option[] { Size, Nz, Ngf, Ndf, Hidden, ConvDropout, DenseDropout, Lr, LrDecay, Decay, Balance, CoefL2 })
            command.Options.Add(o);
    }

    /// <summary>The GAN's options; the CPU preset narrows the networks (docs/cpu-preset.md).</summary>
    public static T ReadGanOptions<T>(ParseResult parsed, CpuPreset preset) where T : TorchFacesOptions, new() => new()
    {
        Size = preset.Value(Size, CpuPreset.Size),
        Nz = parsed.GetValue(Nz),
        Ngf = preset.Value(Ngf, 32),
        Ndf = preset.Value(Ndf, 32),
        Hidden = parsed.GetValue(Hidden),
        ConvDropout = parsed.GetValue(ConvDropout),
        DenseDropout = parsed.GetValue(DenseDropout),
        LearningRate = parsed.GetValue(Lr),
        LrDecay = parsed.GetValue(LrDecay),
        Decay = parsed.GetValue(Decay),
        Balance = Enum.Parse<BalanceRule>(parsed.GetValue(Balance)!, ignoreCase: true),
        CoefL2 = parsed.GetValue(CoefL2),
    };
}
