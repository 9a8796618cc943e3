namespace RawGan.Tests;

public class AutogradTests
{
    [Fact]
    public void Gradients_Accumulate_AcrossBackwardCalls()
    {
        var x = Tensor.FromArray([2.0], [1]);
        x.RequiresGrad = true;
        (x * x).Sum().Backward();
        (x * 3.0).Sum().Backward();
        Assert.Equal(4.0 + 3.0, x.Grad!.Item(), 12);
    }

    [Fact]
    public void SharedInput_GetsTheSumOfBothPaths()
    {
        var x = Tensor.FromArray([3.0], [1]);
        x.RequiresGrad = true;
        (x + x).Sum().Backward();
        Assert.Equal(2.0, x.Grad!.Item(), 12);
    }

    [Fact]
    public void Detach_StopsGradients_AsInTheDiscriminatorStep()
    {
        var g = Tensor.FromArray([1.0, 2.0], [2]);
        g.RequiresGrad = true;
        var fake = g * 2.0;
        var d = Tensor.FromArray([0.5, 0.5], [2]);
        d.RequiresGrad = true;
        (fake.Detach() * d).Sum().Backward();
        Assert.Null(g.Grad);
        Assert.Equal([2.0, 4.0], d.Grad!.ToDoubleArray());
    }

    [Fact]
    public void NoGrad_RecordsNothing()
    {
        var x = Tensor.FromArray([1.0], [1]);
        x.RequiresGrad = true;
        Tensor y;
        using (Autograd.Autograd.NoGrad()) y = x * 2.0;
        Assert.False(y.RequiresGrad);
        Assert.Null(y.GradFn);
    }

    [Fact]
    public void Backward_FreesTheGraph()
    {
        var x = Tensor.FromArray([1.0], [1]);
        x.RequiresGrad = true;
        var y = (x * 2.0).Sum();
        y.Backward();
        Assert.Null(y.GradFn);
    }

    [Fact]
    public void Backward_OnNonScalar_WithoutGradient_Throws()
    {
        var x = Tensor.FromArray([1.0, 2.0], [2]);
        x.RequiresGrad = true;
        var e = Assert.Throws<InvalidOperationException>(() => (x * 2.0).Backward());
        Assert.Contains("one-element", e.Message);
    }
}
