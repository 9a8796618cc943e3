namespace RawGan.Data;

/// <summary>
/// Throughput as the trainer saw it since its first batch. <see cref="Waited"/> is the time it
/// spent blocked for batches not ready yet: near zero means the loader keeps up.
/// </summary>
public readonly record struct LoaderStats(long Images, TimeSpan Elapsed, TimeSpan Waited)
{
    public double ImagesPerSecond => Elapsed > TimeSpan.Zero ? Images / Elapsed.TotalSeconds : 0;

    public override string ToString()
        => $"{Images:N0} images in {Elapsed.TotalSeconds:F1} s = {ImagesPerSecond:N0} images/s, waited {Waited.TotalSeconds:F2} s";
}
