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

    /// <summary>A batch of 8x8 one-channel images in [-1, 1]: background -1, a 3x3 square of +1 at a
    /// random position.</summary>
    private static Tensor Squares(int batch, Random rng)
    {
        var data = new float[batch * 64];
        Array.Fill(data, -1f);
        for (int n = 0; n < batch; n++)
        {
            int top = rng.Next(6), left = rng.Next(6);
            for (int i = 0; i < 3; i++)
                for (int j = 0; j < 3; j++)
                    data[n * 64 + (top + i) * 8 + left + j] = 1f;
        }
        return Tensor.FromArray(data, [batch, 1, 8, 8]);
    }

    [Fact]
    public void TinyConvGan_DiscriminatorSeparates_GeneratorResponds_DStepLeavesGAlone()
    {
        const int nz = 8, batch = 16, steps = 50;
        var g = new Generator(50);
        using var netG = new Sequential(
            new ConvTranspose2d(nz, 16, 4, 1, 0, bias: false, generator: g), new BatchNorm2d(16), new ReLU(),
            new ConvTranspose2d(16, 1, 4, 2, 1, bias: false, generator: g), new Tanh());
        using var netD = new Sequential(
            new Conv2d(1, 32, 4, 2, 1, bias: false, generator: g), new LeakyReLU(0.2),
            new Conv2d(32, 1, 4, 1, 0, bias: false, generator: g), new Flatten());
        Init.DcganInit(netG, g);
        Init.DcganInit(netD, g);
        using var optG = new Adam(netG.Parameters(), lr: 2e-4, beta1: 0.5);
        using var optD = new Adam(netD.Parameters(), lr: 2e-4, beta1: 0.5);
        var rng = new Random(51);
        var lossesD = new List<double>();
        var lossesG = new List<double>();
        var scoreGaps = new List<double>();

        for (int step = 0; step < steps; step++)
        {
            using var scope = new TensorScope();
            var real = Squares(batch, rng);
            var fake = netG.Forward(Tensor.Randn([batch, nz, 1, 1], g));

            // D: real towards 1, G(z) towards 0, with G(z) detached so no gradient reaches G.
            optD.ZeroGrad();
            optG.ZeroGrad();
            var dReal = netD.Forward(real);
            var dFake = netD.Forward(fake.Detach());
            var lossD = F.BinaryCrossEntropyWithLogits(dReal, F.Label(dReal, 1)) + F.BinaryCrossEntropyWithLogits(dFake, F.Label(dFake, 0));
            lossD.Backward();
            Assert.All(netG.Parameters(), p => Assert.Null(p.Grad));
            var gBefore = netG.Parameters().Select(p => p.ToFloatArray()).ToList();
            optD.Step();
            Assert.Equal(gBefore, netG.Parameters().Select(p => p.ToFloatArray()));

            // G: make D call G(z) real (the non-saturating loss); D's gradients from this pass are
            // dropped by its ZeroGrad at the next step.
            var dOnFake = netD.Forward(fake);
            var lossG = F.BinaryCrossEntropyWithLogits(dOnFake, F.Label(dOnFake, 1));
            lossG.Backward();
            optG.Step();

            lossesD.Add(lossD.Item());
            lossesG.Add(lossG.Item());
            scoreGaps.Add((F.Sigmoid(dReal).Mean() - F.Sigmoid(dFake).Mean()).Item());
        }

        Assert.All(lossesD.Concat(lossesG), l => Assert.True(double.IsFinite(l), "a loss is not finite"));
        Assert.All(netG.Parameters().Concat(netD.Parameters()), p => Assert.DoesNotContain(p.ToFloatArray(), v => !float.IsFinite(v)));
        double earlyD = lossesD.Take(3).Average(), lateD = lossesD.TakeLast(10).Average();
        double earlyG = lossesG.Take(3).Average(), lateG = lossesG.TakeLast(10).Average();
        // With DCGAN's small initial weights and lr 2e-4, 50 steps are the start of training: D's loss
        // falls steadily from 2 ln 2 and it scores real images above G's (observed: 1.40 to 1.29,
        // a gap of 0.06); G's loss moves as D's view of G(z) changes (0.693 to 0.64).
        double gap = scoreGaps.TakeLast(10).Average();
        Assert.True(lateD < earlyD - 0.05, $"D's loss went from {earlyD:F4} to {lateD:F4}: D did not learn to separate");
        Assert.True(gap > 0.02, $"D scores real images only {gap:F4} above fakes");
        Assert.True(Math.Abs(lateG - earlyG) > 0.02, $"G's loss went from {earlyG:F4} to {lateG:F4}");
    }
}
