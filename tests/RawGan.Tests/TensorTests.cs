namespace RawGan.Tests;

public class TensorTests
{
    [Fact]
    public void Reshape_Permute_Slice_AreViewsThatReadTheRightElements()
    {
        var x = Tensor.FromArray(Enumerable.Range(0, 24).Select(i => (float)i).ToArray(), [2, 3, 4]);
        var t = x.Permute(2, 0, 1); // [4, 2, 3]
        Assert.Same(x.Storage, t.Storage);
        Assert.Equal([4, 2, 3], t.Shape);
        Assert.Equal(13f, t.Contiguous().ToFloatArray()[1 * 6 + 1 * 3 + 0]); // t[1,1,0] = x[1,0,1]
        var s = x.Slice(2, 1, 4, 2); // x[:, :, 1:4:2]
        Assert.Equal([1f, 3f, 5f, 7f], s.Contiguous().ToFloatArray()[..4]);
        Assert.Equal([2, 12], x.Reshape(2, -1).Shape);
    }

    [Fact]
    public void FromUInt8_MapsEachByteThroughTheTable_AndRefusesWrongLengths()
    {
        var values = Enumerable.Range(0, 256).Select(b => b * 0.5f - 3f).ToArray();
        var x = Tensor.FromUInt8([0, 255, 7, 128, 1, 2], [2, 3], values);
        Assert.Equal([2, 3], x.Shape);
        Assert.Equal([-3f, 124.5f, 0.5f, 61f, -2.5f, -2f], x.ToFloatArray());
        Assert.Throws<ArgumentException>(() => Tensor.FromUInt8([1, 2, 3], [2, 2], values));
        Assert.Throws<ArgumentException>(() => Tensor.FromUInt8([1, 2, 3, 4], [2, 2], values[..255]));
        var view = Tensor.Zeros([4, 2]).Transpose(0, 1);
        Assert.Throws<ArgumentException>(() => view.Backend.CopyFromHostUInt8(view, new byte[8], values));
    }

    [Fact]
    public void Broadcasting_Add_MatchesHandComputedValues()
    {
        var a = Tensor.FromArray([1f, 2f, 3f], [3, 1]);
        var b = Tensor.FromArray([10f, 20f], [2]);
        var c = a + b;
        Assert.Equal([3, 2], c.Shape);
        Assert.Equal([11f, 21f, 12f, 22f, 13f, 23f], c.ToFloatArray());
    }

    [Fact]
    public void Broadcasting_OverPermutedViews_MatchesAnIndexByIndexSum()
    {
        // A conv bias [1, C, 1, 1] on NCHW (merged H·W rows, split over cores), and a transposed view
        // plus a broadcast row: every element against its own index arithmetic.
        var g = new Generator(8);
        var x = Tensor.Rand([4, 5, 96, 70], g);
        var bias = Tensor.Rand([1, 5, 1, 1], g);
        var y = (x + bias).ToFloatArray();
        float[] xs = x.ToFloatArray(), bs = bias.ToFloatArray();
        for (int i = 0; i < y.Length; i++)
            Assert.Equal(xs[i] + bs[i / (96 * 70) % 5], y[i]);

        var m = Tensor.Rand([70, 96], g);
        var row = Tensor.Rand([70], g);
        var t = (m.Transpose(0, 1) * row).ToFloatArray();
        float[] ms = m.ToFloatArray(), rs = row.ToFloatArray();
        for (int r = 0; r < 96; r++)
            for (int c = 0; c < 70; c++)
                Assert.Equal(ms[c * 96 + r] * rs[c], t[r * 70 + c]);
    }

    [Fact]
    public void Broadcasting_IncompatibleShapes_NameBothShapes()
    {
        var e = Assert.Throws<ArgumentException>(() => Tensor.Zeros([2, 3]) + Tensor.Zeros([4]));
        Assert.Contains("[2, 3]", e.Message);
        Assert.Contains("[4]", e.Message);
    }

    [Fact]
    public void Sum_OverNonAdjacentDims_KeepDim()
    {
        var x = Tensor.FromArray(Enumerable.Range(0, 24).Select(i => (double)i).ToArray(), [2, 3, 4]);
        var s = x.Sum([0, 2], keepDim: true);
        Assert.Equal([1, 3, 1], s.Shape);
        // sum over i, k of (12 i + 4 j + k) = 2*4*4j + (0+12)*4 + 2*(0+1+2+3)
        Assert.Equal([60.0, 92.0, 124.0], s.ToDoubleArray());
    }

    [Fact]
    public void Concat_JoinsAlongDim()
    {
        var a = Tensor.FromArray([1f, 2f], [1, 2]);
        var b = Tensor.FromArray([3f, 4f, 5f, 6f], [2, 2]);
        Assert.Equal([1f, 2f, 3f, 4f, 5f, 6f], F.Concat([a, b], 0).ToFloatArray());
    }

    [Fact]
    public void Scope_DisposesTensorsCreatedInside_ButKeepsDetachedOnes()
    {
        Tensor inner, kept;
        using (new TensorScope())
        {
            inner = Tensor.Ones([3]);
            kept = (inner * 2).DetachFromScope();
        }
        Assert.True(inner.IsDisposed);
        Assert.False(kept.IsDisposed);
        Assert.Equal([2f, 2f, 2f], kept.ToFloatArray());
    }

    [Fact]
    public void Matmul_Batched_Broadcasts()
    {
        var a = Tensor.FromArray([1f, 2f, 3f, 4f], [1, 2, 2]);
        var b = Tensor.FromArray([1f, 0f, 0f, 1f, 2f, 0f, 0f, 2f], [2, 2, 2]);
        Assert.Equal([1f, 2f, 3f, 4f, 2f, 4f, 6f, 8f], a.Matmul(b).ToFloatArray());
    }
}
