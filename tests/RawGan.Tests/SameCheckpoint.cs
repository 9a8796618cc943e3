using RawGan.Serialization;

namespace RawGan.Tests;

/// <summary>Two checkpoints hold the same state: the same entries in the same order, byte for byte
/// (how the resume tests show that a stopped and resumed run equals one that never stopped).</summary>
internal static class SameCheckpoint
{
    /// <summary>Returns both files for checks of their metadata.</summary>
    public static (SafeTensorsFile Expected, SafeTensorsFile Actual) Assert(string expectedPath, string actualPath, string what = "differs")
    {
        var (expected, actual) = (SafeTensorsFile.Read(expectedPath), SafeTensorsFile.Read(actualPath));
        Xunit.Assert.Equal(expected.Entries.Select(e => e.Name), actual.Entries.Select(e => e.Name));
        foreach (var entry in expected.Entries)
            Xunit.Assert.True(entry.Data.AsSpan().SequenceEqual(actual[entry.Name].Data), $"{entry.Name} {what}");
        return (expected, actual);
    }
}
