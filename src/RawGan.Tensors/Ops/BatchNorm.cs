namespace RawGan;

public static partial class F
{
    /// <summary>
    /// Batch normalisation per channel (dim 1) of x [N, C], [N, C, L] or [N, C, H, W], as
    /// torch.nn.functional.batch_norm. Training: normalises by the batch mean and biased variance and,
    /// when running stats are given, updates them in place: running = (1 - momentum) running + momentum
    /// batch, with the unbiased batch variance. Evaluation: normalises by the running stats.
    /// </summary>
    public static Tensor BatchNorm(Tensor x, Tensor weight, Tensor bias, Tensor? runningMean, Tensor? runningVar,
        bool training, double momentum = 0.1, double eps = 1e-5)
    {
        const string op = "batch_norm";
        CheckBatchNorm(op, x, weight, bias, runningMean, runningVar, training);
        if (training) return BatchNormTraining(op, x, weight, bias, runningMean, runningVar, momentum, eps, slope: null);

        if (runningMean is null || runningVar is null)
            throw new ArgumentException("batch_norm: evaluation mode normalises by the running stats, which were not given");
        int c = x.Shape[1];
        var xs = Contiguous(x);
        var gamma = Contiguous(weight);
        var beta = Contiguous(bias);
        var y = xs.EmptyLike();
        y.Backend.BatchNormForwardInference(As4d(y), As4d(xs), gamma, beta, Contiguous(runningMean), Contiguous(runningVar), eps);
        if (!Autograd.Autograd.IsEnabled || !(x.RequiresGrad || weight.RequiresGrad || bias.RequiresGrad)) return y;

        // y = gamma (x - mean) invstd + beta is affine in x, gamma and beta once the running stats are
        // fixed; they are copied now so a later training step that updates them cannot change this backward.
        var channel = Enumerable.Repeat(1, x.Rank).ToArray();
        channel[1] = c;
        Tensor mean, invStd;
        using (Autograd.Autograd.NoGrad())
        {
            mean = Reshape(Clone(runningMean), channel);
            invStd = Reshape(Pow(Add(runningVar, eps), -0.5), channel);
        }
        var reduce = Enumerable.Range(0, x.Rank).Where(d => d != 1).ToArray();
        return Autograd.Autograd.Record(y, op, [x, weight, bias], dy =>
        [
            x.RequiresGrad ? Mul(dy, Mul(Reshape(weight, channel), invStd)) : null,
            weight.RequiresGrad ? Sum(Mul(dy, Mul(Sub(xs, mean), invStd)), reduce) : null,
            bias.RequiresGrad ? Sum(dy, reduce) : null,
        ]);
    }

    /// <summary>Training-mode batch norm, followed by leaky relu with <paramref name="slope"/> in the
    /// same backend call when one is given.</summary>
    private static Tensor BatchNormTraining(string op, Tensor x, Tensor weight, Tensor bias, Tensor? runningMean, Tensor? runningVar,
        double momentum, double eps, double? slope)
    {
        int c = x.Shape[1];
        var xs = Contiguous(x);
        var gamma = Contiguous(weight);
        var beta = Contiguous(bias);
        var y = xs.EmptyLike();
        var x4 = As4d(xs);
        var saveMean = Tensor.Empty([c], x.DType, x.Device);
        var saveInvStd = Tensor.Empty([c], x.DType, x.Device);
        if (slope is double s)
            y.Backend.BatchNormLeakyReluForwardTraining(As4d(y), saveMean, saveInvStd, x4, gamma, beta, runningMean, runningVar, momentum, eps, s);
        else
            y.Backend.BatchNormForwardTraining(As4d(y), saveMean, saveInvStd, x4, gamma, beta, runningMean, runningVar, momentum, eps);
        return Autograd.Autograd.Record(y, op, [x, weight, bias], dy =>
        {
            var dx = xs.EmptyLike();
            var dGamma = gamma.EmptyLike();
            var dBeta = beta.EmptyLike();
            var dy4 = As4d(Contiguous(dy));
            if (slope is double s)
                dx.Backend.BatchNormLeakyReluBackward(As4d(dx), dGamma, dBeta, dy4, x4, gamma, beta, saveMean, saveInvStd, s);
            else
                dx.Backend.BatchNormBackward(As4d(dx), dGamma, dBeta, dy4, x4, gamma, saveMean, saveInvStd);
            return [x.RequiresGrad ? dx : null, weight.RequiresGrad ? dGamma : null, bias.RequiresGrad ? dBeta : null];
        });
    }

    /// <summary>The operand checks of batch_norm and its fused forms.</summary>
    private static void CheckBatchNorm(string op, Tensor x, Tensor weight, Tensor bias, Tensor? runningMean, Tensor? runningVar, bool training)
    {
        if (x.Rank is < 2 or > 4)
            throw new ArgumentException($"{op}: input must be [N, C], [N, C, L] or [N, C, H, W], got shape {Shape.Format(x.Shape)}");
        int c = x.Shape[1];
        foreach (var (t, what) in new[] { (weight, "weight"), (bias, "bias"), (runningMean, "running_mean"), (runningVar, "running_var") })
        {
            if (t is null) continue;
            CheckSame(op, x, t);
            CheckShape(op, t, [c], what);
        }
        if ((runningMean is null) != (runningVar is null))
            throw new ArgumentException($"{op}: give both running_mean and running_var, or neither");
        if (training && x.NumEl / Math.Max(c, 1) <= 1)
            throw new ArgumentException($"{op}: training needs more than one value per channel, input has shape {Shape.Format(x.Shape)}");
        if (training && runningMean is not null && !(runningMean.IsContiguous && runningVar!.IsContiguous))
            throw new ArgumentException($"{op}: running stats are updated in place and must be contiguous");
    }

    /// <summary>A contiguous [N, C, ...] tensor viewed as the backend's [N, C, H, W]: [N, C] as [N, C, 1, 1]
    /// and [N, C, L] as [N, C, L, 1].</summary>
    private static Tensor As4d(Tensor t)
    {
        if (t.Rank == 4) return t;
        int[] shape = [t.Shape[0], t.Shape[1], t.Rank == 3 ? t.Shape[2] : 1, 1];
        return t.View(shape, Shape.ContiguousStrides(shape), t.Offset);
    }
}
