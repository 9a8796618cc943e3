namespace RawGan.Nn;

/// <summary>What a non-strict <see cref="Module.LoadStateDict"/> skipped: the model's keys the
/// state dict lacked, and the state dict's keys the model has no place for (PyTorch's
/// <c>_IncompatibleKeys</c>).</summary>
public sealed record LoadStateDictResult(IReadOnlyList<string> MissingKeys, IReadOnlyList<string> UnexpectedKeys);
