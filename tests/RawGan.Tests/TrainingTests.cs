using System.Diagnostics;
using RawGan.Nn;
using RawGan.Optim;

namespace RawGan.Tests;

/// <summary>End-to-end training on the CPU: layers, autograd, losses and optimizers together.</summary>
public class TrainingTests
{
    [Fact]
    public void Mlp_LearnsXor()
    {
        var g = new Generator(31);
        using var model = new Sequential(new Linear(2, 8, generator: g), new Tanh(), new Linear(8, 1, generator: g));
        using var adam = new Adam(model.Parameters(), lr: 0.05);
        var x = Tensor.FromArray([0f, 0, 0, 1, 1, 0, 1, 1], [4, 2]);
        var y = Tensor.FromArray([0f, 1, 1, 0], [4, 1]);

        double first = 0, last = 0;
        for (int step = 0; step < 300; step++)
        {
            using var scope = new TensorScope();
            adam.ZeroGrad();
            var loss = F.MseLoss(model.Forward(x), y);
            loss.Backward();
            adam.Step();
            last = loss.Item();
            if (step == 0) first = last;
        }

        Assert.True(last < first / 100, $"XOR loss fell from {first} to {last} only");
        using (Autograd.Autograd.NoGrad())
        {
            var prediction = model.Forward(x).ToFloatArray();
            Assert.Equal([0, 1, 1, 0], prediction.Select(v => v > 0.5f ? 1 : 0));
        }
    }
}
