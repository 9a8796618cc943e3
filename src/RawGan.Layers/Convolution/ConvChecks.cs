namespace RawGan.Nn;

/// <summary>Constructor checks shared by the convolutions, so a bad geometry fails where the layer
/// is built rather than at its first forward.</summary>
internal static class ConvChecks
{
    public static void Validate(int inChannels, int outChannels, int kernelSize, int stride, int padding, int dilation, int groups)
    {
        if (inChannels <= 0 || outChannels <= 0)
            throw new ArgumentOutOfRangeException(nameof(inChannels), $"channel counts must be positive, got in {inChannels}, out {outChannels}");
        if (kernelSize <= 0 || stride <= 0 || dilation <= 0 || padding < 0)
            throw new ArgumentOutOfRangeException(nameof(kernelSize), $"kernel size {kernelSize}, stride {stride}, dilation {dilation} must be positive and padding {padding} non-negative");
        if (groups <= 0 || inChannels % groups != 0 || outChannels % groups != 0)
            throw new ArgumentOutOfRangeException(nameof(groups), $"groups {groups} must divide both in channels {inChannels} and out channels {outChannels}");
    }
}
