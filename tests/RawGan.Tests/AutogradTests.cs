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
    public void LeavesGivenOneGradient_GetGradsOfTheirOwn_ThatAccumulateApart()
    {
        // add's backward hands the same gradient (here mul's, a fresh tensor) to both inputs: the
        // leaves must not share it.
        var a = Tensor.FromArray([1.0, 2.0], [2]);
        var b = Tensor.FromArray([5.0, 6.0], [2]);
        a.RequiresGrad = b.RequiresGrad = true;
        ((a + b) * Tensor.FromArray([1.0, 1.0], [2])).Sum().Backward();
        (a * 3.0).Sum().Backward();
        Assert.Equal([4.0, 4.0], a.Grad!.ToDoubleArray());
        Assert.Equal([1.0, 1.0], b.Grad!.ToDoubleArray());
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

/// <summary>Backward frees a Sequential's inner activations as it passes them, as PyTorch frees saved
/// tensors, so a GAN step's peak memory holds one network's activations, not every pass of the step.</summary>
public class AutogradMemoryTests
{
    /// <summary>tanh that keeps its output for the test to look at.</summary>
    private sealed class Recorder : Nn.Module
    {
        public Tensor? Output { get; private set; }
        public override Tensor Forward(Tensor x) => Output = F.Tanh(x);
    }

    [Fact]
    public void Backward_DisposesTheInnerActivations_KeepsInputOutputAndGradients()
    {
        var g = new Generator(3);
        var recorder = new Recorder();
        using var net = new Nn.Sequential(new Nn.Linear(4, 5, generator: g), recorder, new Nn.Linear(5, 2, generator: g));
        using var scope = new TensorScope();
        var x = Tensor.Rand([3, 4], g);
        var y = net.Forward(x);
        var inner = recorder.Output!;
        Assert.False(inner.IsDisposed);

        y.Sum().Backward();

        Assert.True(inner.IsDisposed, "the tanh output inside the Sequential outlived backward");
        Assert.False(x.IsDisposed);
        Assert.False(y.IsDisposed);
        Assert.Equal(2 * 3, y.ToFloatArray().Length);
        Assert.All(net.Parameters(), p => Assert.NotNull(p.Grad));
    }

    /// <summary>A fused Conv2d + ELU runs the bare convolution, then the bias and ELU: that inner output is
    /// freed too (else BEGAN's step would hold every convolution's output to the end: +14 % of its peak).</summary>
    [Fact]
    public void Backward_DisposesTheBareConvolutionOutput_InsideAFusedPair()
    {
        var g = new Generator(5);
        using var net = new Nn.Sequential(new Nn.Conv2d(2, 3, 3, padding: 1, generator: g), new Nn.ELU(), new Nn.Conv2d(3, 1, 1, generator: g));
        using var scope = new TensorScope();
        var y = net.Forward(Tensor.Rand([2, 2, 5, 5], g));
        var fused = y.GradFn!.Inputs[0];
        Assert.Equal("bias_elu", fused.GradFn!.Op);
        var bare = fused.GradFn.Inputs[0];

        y.Sum().Backward();

        Assert.True(bare.IsDisposed, "the convolution's output inside the fused pair outlived backward");
        Assert.True(fused.IsDisposed);
    }

    [Fact]
    public void WithoutBackward_OrWithoutRecording_NothingIsDisposedEarly()
    {
        var g = new Generator(4);
        var recorder = new Recorder();
        using var net = new Nn.Sequential(new Nn.Linear(4, 5, generator: g), recorder, new Nn.Linear(5, 2, generator: g));
        using var scope = new TensorScope();
        var x = Tensor.Rand([3, 4], g);
        net.Forward(x);
        Assert.False(recorder.Output!.IsDisposed);
        using (Autograd.Autograd.NoGrad())
            net.Forward(x).Sum();
        Assert.False(recorder.Output!.IsDisposed);
    }
}
