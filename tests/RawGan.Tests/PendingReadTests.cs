namespace RawGan.Tests;

/// <summary>Tensor.StartReadBack on the CPU, where the copy is done at once (CudaHostCopyTests: on a GPU).</summary>
public class PendingReadTests
{
    [Fact]
    public void StartReadBack_WaitGivesTheValues_OfAnyDtypeAndLayout()
    {
        var x = Tensor.FromArray([1f, 2f, 3f, 4f, 5f, 6f], [2, 3]);
        Assert.Equal([1.0, 2, 3, 4, 5, 6], x.StartReadBack().Wait());
        Assert.Equal([1.0, 4, 2, 5, 3, 6], x.Transpose(0, 1).StartReadBack().Wait());
        var d = Tensor.FromArray([0.1, 1e300, -2.5], [3]);
        Assert.Equal([0.1, 1e300, -2.5], d.StartReadBack().Wait());
        Assert.Empty(Tensor.Empty([0, 4]).StartReadBack().Wait());
    }

    [Fact]
    public void StartReadBack_TakesTheValuesOfItsMoment_NotOfTheWait()
    {
        var x = Tensor.FromArray([1f, 2f], [2]);
        using var read = x.StartReadBack();
        x.Fill(7);
        Assert.Equal([1.0, 2], read.Wait());
    }

    [Fact]
    public void Wait_ReturnsTheSameValuesAgain_ADisposedUnwaitedReadCannotWait()
    {
        var x = Tensor.FromArray([3f], [1]);
        var read = x.StartReadBack();
        var values = read.Wait();
        Assert.Same(values, read.Wait());
        read.Dispose();
        Assert.Same(values, read.Wait());

        var dropped = x.StartReadBack();
        dropped.Dispose();
        Assert.Throws<ObjectDisposedException>(() => dropped.Wait());
    }

    [Fact]
    public void StartReadBack_IsARead_WhereReadsAreForbidden()
    {
        var x = Tensor.FromArray([3f], [1]);
        using (ReadBackGuard.Forbid())
            Assert.Contains("read back", Assert.Throws<InvalidOperationException>(() => x.StartReadBack()).Message);
    }
}
