using System.CommandLine;
using System.Text.Json;
using RawGan.Recipes;

namespace RawGan.Cli;

/// <summary>`rawgan train tfdcgan`: the common flags plus the tutorial DCGAN's own.</summary>
public static class TrainTfDcgan
{
    /// <summary>The tutorial shows a grid and the losses every 400 batches.</summary>
    public const int SampleEvery = 400;

    public static Command Create(TextWriter output)
    {
        var defaults = new TfDcganOptions();
        var nz = new Option<int>("--nz") { Description = "Latent size.", DefaultValueFactory = _ => defaults.Nz };
        var ngf = new Option<int>("--ngf") { Description = "Generator width: channels 4ngf, 2ngf, ngf.", DefaultValueFactory = _ => defaults.Ngf };
        var ndf = new Option<int>("--ndf") { Description = "Discriminator width: channels ndf, 2ndf, 4ndf.", DefaultValueFactory = _ => defaults.Ndf };
        var lr = new Option<double>("--lr") { Description = "Adam learning rate.", DefaultValueFactory = _ => defaults.LearningRate };
        var beta1 = new Option<double>("--beta1") { Description = "Adam beta1.", DefaultValueFactory = _ => defaults.Beta1 };
        var realLabel = new Option<double>("--real-label") { Description = "D's target for real images.", DefaultValueFactory = _ => defaults.RealLabel };
        var command = new Command("tfdcgan", "The O'Reilly TensorFlow tutorial's DCGAN: 28x28 faces in [-0.5, 0.5], real labels 0.9, Adam; a grid every 400 batches.");
        TrainCommand.AddCommon(command);
        foreach (var o in new Option[] { nz, ngf, ndf, lr, beta1, realLabel }) command.Options.Add(o);
        command.SetAction(parsed =>
        {
            var common = TrainCommand.ReadCommon(parsed);
            return TrainCommand.Run(parsed, common, "tfdcgan", output, (_, _) =>
            {
                var options = new TfDcganOptions
                {
                    Nz = parsed.GetValue(nz),
                    Ngf = parsed.GetValue(ngf),
                    Ndf = parsed.GetValue(ndf),
                    LearningRate = parsed.GetValue(lr),
                    Beta1 = parsed.GetValue(beta1),
                    RealLabel = parsed.GetValue(realLabel),
                };
                options.Validate(); // before the data is decoded, which can take minutes
                var run = common with { SampleEvery = parsed.GetValue(TrainCommand.SampleEvery) ?? SampleEvery };
                return (run, options.Size, JsonSerializer.Serialize(options));
            });
        });
        return command;
    }
}
