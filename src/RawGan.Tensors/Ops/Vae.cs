namespace RawGan;

// The VAE pieces are compositions of primitives, so autograd differentiates them with no
// backward of their own.
public static partial class F
{
    /// <summary>KL(N(mu, e^logVar) || N(0, I)) = -0.5 sum(1 + logVar - mu^2 - e^logVar), summed over
    /// latent dimensions and averaged over the batch (dim 0).</summary>
    public static Tensor GaussianKl(Tensor mu, Tensor logVar)
    {
        CheckSame("gaussian_kl", mu, logVar);
        CheckShape("gaussian_kl", logVar, mu.Shape, "logVar");
        var inner = Sub(Sub(Add(logVar, 1), Mul(mu, mu)), Exp(logVar));
        return Mul(Sum(inner), -0.5 / mu.Shape[0]);
    }

    /// <summary>z = mu + e^(logVar / 2) * eps with eps ~ N(0, I): the reparameterisation trick.</summary>
    public static Tensor Reparameterize(Tensor mu, Tensor logVar, Generator generator)
    {
        var eps = Tensor.Randn(mu.Shape, generator, mu.DType, mu.Device);
        return Add(mu, Mul(Exp(Mul(logVar, 0.5)), eps));
    }

    /// <summary>sum of squares of all given tensors: the L2 penalty of a weight-decay term.</summary>
    public static Tensor L2Penalty(IEnumerable<Tensor> tensors)
    {
        Tensor? total = null;
        foreach (var t in tensors)
        {
            var s = Sum(Mul(t, t));
            total = total is null ? s : Add(total, s);
        }
        return total ?? throw new ArgumentException("l2_penalty: no tensors");
    }
}
