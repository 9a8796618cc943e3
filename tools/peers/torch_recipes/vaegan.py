"""The VAE/GAN hybrid of the Torch blog's "Going further" (after Larsen et al. 2015) as RawGan's
VaeGanRecipe builds it at 64 px (32 px also): a VAE whose decoder is the torchfaces generator, trained
against the torchfaces discriminator (both from torchfaces.py).
E = 3x [Conv(5, stride 2, pad 2) + bias -> BN -> ReLU] with 64, 128, 256 channels, flatten,
Linear(256*8*8, 2*512): mu and log sigma^2. z = mu + sigma eps; the decoder G and D as torchfaces.
D's half of a step is torchfaces' (fakes G(z_p) made without a graph, one backward of the mean of err_R
and err_F). E and G then descend 1e-3 KL(N(mu, sigma^2) || N(0, I)) + 1 * mean (G(z) - x)^2 + 0.1 f, with
f = BCE(D(G(z_p')), 1) on fresh z_p'; the reconstructions and the prior samples go through G in one
pass of 2 images per batch image (one set of batch-norm statistics). One RMSprop ("VAE") updates E and
G, another D (lr 1e-3, alpha 0.9). The benchmark runs the recipe with Balance = None, so the GAN term is
in every step and D updates every step.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

from torch_recipes import Built, step_flops
from torch_recipes import torchfaces as faces

DEFAULT_SIZE = faces.DEFAULT_SIZE
NZ = faces.NZ
NEF = 64
KL_WEIGHT, RECON_WEIGHT, GAN_WEIGHT = 1e-3, 1.0, 0.1


def encoder(size, nz=NZ, nef=NEF):
    """VaeGanRecipe.BuildEncoder, layer for layer: the last layer gives mu and log sigma^2 side by side."""
    s = size // 8
    return nn.Sequential(
        nn.Conv2d(3, nef, 5, 2, 2), nn.BatchNorm2d(nef), nn.ReLU(True),
        nn.Conv2d(nef, 2 * nef, 5, 2, 2), nn.BatchNorm2d(2 * nef), nn.ReLU(True),
        nn.Conv2d(2 * nef, 4 * nef, 5, 2, 2), nn.BatchNorm2d(4 * nef), nn.ReLU(True),
        nn.Flatten(), nn.Linear(4 * nef * s * s, 2 * nz))


def gaussian_kl(mu, log_var):
    """RawGan's F.GaussianKl: KL(N(mu, e^logVar) || N(0, I)) summed over the latent and averaged over the batch."""
    return -0.5 * torch.sum(1 + log_var - mu * mu - log_var.exp()) / mu.shape[0]


def vae_step(ctx, e, g, d, window, opt_vae, opt_d, nz=NZ):
    b, dev = ctx.batch, ctx.device
    ones, zeros = faces.targets(ctx)
    no_skips = torch.zeros(2, device=dev)  # Balance = None: neither network sits out

    def step(real):
        # D: as torchfaces, on fakes decoded from the prior without a graph.
        with torch.no_grad(), ctx.autocast():
            fake = g(torch.randn(b, nz, device=dev))
        faces.discriminator_step(ctx, d, opt_d, real, fake, ones, zeros)
        # E and G: encode, reparameterise (in float32, as the losses), decode [z, z_p'] in one G pass.
        opt_vae.zero_grad(set_to_none=True)
        with ctx.autocast():
            h = e(real)
        mu, log_var = h[:, :nz].float(), h[:, nz:].float()
        z = mu + torch.exp(0.5 * log_var) * torch.randn_like(mu)
        with ctx.autocast():
            decoded = g(torch.cat([z, torch.randn(b, nz, device=dev)], 0))
            logits = d(decoded[b:])
        kl = gaussian_kl(mu, log_var)
        recon = F.mse_loss(decoded[:b].float(), real)
        f = faces.error(logits, ones)
        # KL reaches only E, the GAN term only G (and D, whose gradients are dropped after).
        (kl * KL_WEIGHT + recon * RECON_WEIGHT + f * GAN_WEIGHT).backward()
        opt_vae.step()
        opt_d.zero_grad(set_to_none=True)
        window(no_skips)

    return step


def vaegan_flops(fe, fg, fd):
    """BenchRecipes' vaegan step: D's half as torchfaces (G fwd; D fwd twice, bwd twice, no dX); E fwd;
    G fwd on 2 images per batch image; D fwd + bwd with dX on the prior half; G bwd with dX on both halves
    (z from E carries a gradient into E); E bwd (no dX into the images)."""
    return step_flops([(fg, "fwd", 1), (fd, "fwd", 1), (fd, "fwd", 1), (fd, "bwd", 1), (fd, "bwd", 1),
                       (fe, "fwd", 1), (fg, "fwd", 2), (fd, "fwd", 1), (fd, "bwdx", 1), (fg, "bwdx", 2), (fe, "bwd", 1)])


def build(ctx):
    net_g, net_d, window, fg, fd = faces.build_gan(ctx)
    net_e = encoder(ctx.size).to(ctx.device, memory_format=ctx.memory_format)
    fe = ctx.layer_flops(net_e, torch.zeros(1, 3, ctx.size, ctx.size, device=ctx.device))
    # One optimizer over E's parameters, then G's, as RawGan's "VAE" RMSprop.
    opt_vae = faces.rmsprop(ctx, [*net_e.parameters(), *net_g.parameters()])
    opt_d = faces.rmsprop(ctx, net_d.parameters(), weight_decay=faces.COEF_L2)
    e, g, d = ctx.compile(net_e), ctx.compile(net_g), ctx.compile(net_d)
    return Built(vae_step(ctx, e, g, d, window, opt_vae, opt_d), vaegan_flops(fe, fg, fd), 3, (-1.0, 1.0),
                 {"E": net_e, "G": net_g, "D": net_d, "balance": window})
