namespace RawGan.Nn;

public static partial class Init
{
    /// <summary>The weights_init of the DCGAN paper as pytorch/examples writes it: every
    /// convolution's weight (transposed or not) ~ N(0, 0.02); every batch norm's weight ~ N(1, 0.02)
    /// and bias = 0. Visits modules in <see cref="Module.Apply"/>'s order.</summary>
    public static void DcganInit(Module module, Generator generator) => module.Apply(m =>
    {
        switch (m)
        {
            case Conv2d conv:
                Normal(conv.Weight, 0, 0.02, generator);
                break;
            case ConvTranspose2d conv:
                Normal(conv.Weight, 0, 0.02, generator);
                break;
            case BatchNorm { Weight: { } weight, Bias: { } bias }:
                Normal(weight, 1, 0.02, generator);
                Zeros(bias);
                break;
        }
    });
}
