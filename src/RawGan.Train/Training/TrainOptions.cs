namespace RawGan.Training;

/// <summary>The flags every `rawgan train RECIPE` shares. Null means "the recipe's default".</summary>
public sealed record TrainOptions
{
    public string? Data { get; init; }
    public string? Out { get; init; }
    public int? Crop { get; init; }
    public int Batch { get; init; } = 128;
    public int? Epochs { get; init; }
    public long? Steps { get; init; }
    public string Device { get; init; } = "auto";
    /// <summary>auto, fp32 or tf32 (<see cref="Training.Precision"/>); config.json records the one resolved.</summary>
    public string Precision { get; init; } = Training.Precision.Auto;
    /// <summary>`--graph on`: replay each step from a CUDA graph (<see cref="GraphedSteps"/>); CUDA and capturable recipes only.</summary>
    public bool Graph { get; init; }
    public ulong Seed { get; init; }
    public string? Resume { get; init; }
    public int SampleEvery { get; init; } = 500;
    public int CheckpointEvery { get; init; } = 1000;
    /// <summary>Steps between SWD measurements of the generator against the training data (Eval/TrainingEval.cs); null: never.</summary>
    public int? EvalEvery { get; init; }
    public int KeepCheckpoints { get; init; } = 3;
    /// <summary>Warn of mode collapse after this many consecutive steps with D loss under 0.05 and G loss over 5.</summary>
    public int CollapsePatience { get; init; } = 200;
    /// <summary>The command line after `rawgan` that started the run (config.json keeps it), so a resume
    /// can tell which of its flags differ from the ones the run was started with.</summary>
    public string[]? CommandLine { get; init; }

    public void Validate()
    {
        if (Batch < 1) throw new ArgumentException("--batch must be positive");
        if (Epochs is < 1) throw new ArgumentException("--epochs must be positive");
        if (Steps is < 1) throw new ArgumentException("--steps must be positive");
        if (SampleEvery < 1 || CheckpointEvery < 1) throw new ArgumentException("--sample-every and --checkpoint-every must be positive");
        if (EvalEvery is < 1) throw new ArgumentException("--eval-every must be positive");
        if (KeepCheckpoints < 1) throw new ArgumentException("--keep-checkpoints must be at least 1");
    }
}

/// <summary>Seeds of a run's independent random streams, all derived from --seed.</summary>
public static class Seeds
{
    public static ulong Init(ulong seed) => seed * 4 + 1;
    public static ulong Noise(ulong seed) => seed * 4 + 2;
    public static ulong FixedSamples(ulong seed) => seed * 4 + 3;
}
