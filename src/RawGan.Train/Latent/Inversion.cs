using RawGan.Data;
using RawGan.Images;
using RawGan.Nn;
using RawGan.Optim;

namespace RawGan.Latent;

/// <summary>Target images, the latents found for them, G's images for those, and each image's L1
/// distance (mean |x - G(z)| over its pixels) before and after the search.</summary>
public sealed record InversionResult(Tensor Targets, Tensor Z, Tensor Images, double[] StartL1, double[] FinalL1)
{
    /// <summary>Rows of (target, G(z)) as one PNG.</summary>
    public void SavePairs(string path)
    {
        int n = Targets.Shape[0];
        var pairs = F.Concat([Targets.Unsqueeze(1), Images.Unsqueeze(1)], 1);
        ImageGrid.Save(path, pairs.ToFloatArray(), 2 * n, 3, Targets.Shape[2], Targets.Shape[3], PixelRange.MinusOneToOne, nrow: 2);
    }
}

/// <summary>
/// Latent inversion (BEGAN section 4.3): the z whose G(z) is closest in L1 to a given image, found by
/// gradient descent on z with G frozen in eval mode. Works for any generator module, whatever the
/// shape of its latent ([n, nz] for BEGAN, [n, nz, 1, 1] for DCGAN).
/// </summary>
public static class Inversion
{
    /// <summary>Adam on z from <paramref name="zStart"/> for <paramref name="steps"/> steps minimising
    /// mean |G(z) - target|. The generator's parameters get no gradients and are left as they were.</summary>
    public static InversionResult Invert(Module generator, Tensor target, Tensor zStart, int steps, double lr)
    {
        if (steps < 1) throw new ArgumentException("--steps must be at least 1");
        if (lr <= 0) throw new ArgumentException("--lr must be positive");
        generator.Eval();
        var parameters = generator.Parameters().ToList();
        var trainable = parameters.Select(p => p.RequiresGrad).ToList();
        foreach (var p in parameters) p.RequiresGrad = false;
        var z = zStart.Detach().Clone().DetachFromScope();
        z.RequiresGrad = true;
        try
        {
            using var adam = new Adam([z], lr);
            var start = PerImageL1(generator, z, target);
            for (int i = 0; i < steps; i++)
            {
                using var scope = new TensorScope();
                adam.ZeroGrad();
                F.L1Loss(generator.Forward(z), target).Backward();
                adam.Step();
            }
            adam.ZeroGrad();
            var found = z.Detach().Clone();
            Tensor images;
            using (Autograd.Autograd.NoGrad())
                images = generator.Forward(found);
            return new InversionResult(target, found, images, start, PerImageL1(generator, z, target));
        }
        finally
        {
            z.Dispose();
            for (int i = 0; i < parameters.Count; i++) parameters[i].RequiresGrad = trainable[i];
        }
    }

    private static double[] PerImageL1(Module generator, Tensor z, Tensor target)
    {
        using var scope = new TensorScope();
        using var noGrad = Autograd.Autograd.NoGrad();
        int n = target.Shape[0];
        var diff = (generator.Forward(z) - target).ToFloatArray();
        int per = diff.Length / n;
        return [.. Enumerable.Range(0, n).Select(i => diff.AsSpan(i * per, per).ToArray().Average(v => Math.Abs((double)v)))];
    }

    /// <summary>Image files decoded and cut as the training data are (centre crop, area resize to
    /// size x size), as NCHW in [-1, 1].</summary>
    public static Tensor LoadImages(IReadOnlyList<string> paths, int size, int crop, Device device)
    {
        var nchw = new float[paths.Count * 3 * size * size];
        var pixels = new byte[size * size * 3];
        for (int i = 0; i < paths.Count; i++)
        {
            if (!File.Exists(paths[i])) throw new DataException($"image '{paths[i]}' does not exist");
            var image = ImageDecoder.TryDecode(File.ReadAllBytes(paths[i]), out string reason)
                ?? throw new DataException($"image '{paths[i]}' cannot be read: {reason}");
            CropResize.Apply(image, crop, size, pixels);
            PixelRange.MinusOneToOne.ToPlanes(pixels, nchw.AsSpan(i * pixels.Length, pixels.Length));
        }
        return Tensor.FromArray(nchw, [paths.Count, 3, size, size], device);
    }
}
