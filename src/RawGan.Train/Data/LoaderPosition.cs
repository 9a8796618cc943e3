namespace RawGan.Data;

/// <summary>
/// Where a <see cref="BatchLoader"/> stands: the next batch it hands out is batch
/// <see cref="Batch"/> of epoch <see cref="Epoch"/>. Save it with a checkpoint and pass it back
/// to resume on exactly the batches an uninterrupted run would have seen.
/// </summary>
public readonly record struct LoaderPosition(int Epoch, int Batch)
{
    public override string ToString() => $"epoch {Epoch}, batch {Batch}";
}
