"""BEGAN (Berthelot, Schumm, Metz 2017) as RawGan's BeganRecipe, 64 or 128 px, n = 64 filters, Nz = Nh = 64.
D is an autoencoder scored by L(v) = mean |D(v) - v|; G is its decoder's architecture. No batch norm.
Decoder: Linear h -> n x 8 x 8, then per resolution 8, 16, ..., size: [Conv(3,1,1) + ELU] x 2, nearest x2
upsampling between resolutions, Conv(3,1,1) to 3 channels (no output activation).
Encoder: Conv(3,1,1) + ELU to n, then per resolution i: [Conv(3,1,1) + ELU] x 2 at (i+1)n channels and, but
at 8 x 8, Conv(3,2,1) + ELU to (i+2)n; flatten, Linear to h. Every layer has a bias; PyTorch's (and RawGan's)
default initialisation. z ~ U(-1, 1).
Losses: L_D = L(x) - k_t L(G(z_D)), L_G = L(G(z_G)); k_{t+1} = clip(k_t + lambda_k (gamma L(x) - L_G), 0, 1),
k_0 = 0, a buffer of D updated on the device. Adam (1e-4, betas (0.5, 0.999)) for both. The recipe's
learning-rate halving on M_global plateaus runs on the host after the step (AfterStep), which the benchmark
does not call: it is left out, and so are the step's metrics (M_global), which nothing reads.
One iteration, as the recipe's Step: G on z_D without a graph; D on real and on those fakes (forwards), one
backward of L_D, D's update; G on z_G, D on G(z_G) (forward + backward into G), G's update; k_t's update."""
import torch
import torch.nn as nn

from torch_recipes import Built, step_flops

DEFAULT_SIZE = 64
FILTERS, NZ, HIDDEN = 64, 64, 64
GAMMA, LAMBDA_K = 0.5, 0.001


def blocks(size):
    """Resolutions 8, 16, ..., size."""
    return (size // 8).bit_length()


def decoder(size, n, inputs):
    layers = [nn.Linear(inputs, n * 8 * 8), nn.Unflatten(1, (n, 8, 8))]
    for i in range(blocks(size)):
        if i > 0:
            layers.append(nn.Upsample(scale_factor=2, mode="nearest"))
        layers += [nn.Conv2d(n, n, 3, 1, 1), nn.ELU(inplace=True), nn.Conv2d(n, n, 3, 1, 1), nn.ELU(inplace=True)]
    layers.append(nn.Conv2d(n, 3, 3, 1, 1))
    return nn.Sequential(*layers)


def encoder(size, n, hidden):
    layers = [nn.Conv2d(3, n, 3, 1, 1), nn.ELU(inplace=True)]
    count = blocks(size)
    for i in range(count):
        width = n * (i + 1)
        layers += [nn.Conv2d(width, width, 3, 1, 1), nn.ELU(inplace=True), nn.Conv2d(width, width, 3, 1, 1), nn.ELU(inplace=True)]
        if i < count - 1:
            layers += [nn.Conv2d(width, width + n, 3, 2, 1), nn.ELU(inplace=True)]
    layers += [nn.Flatten(), nn.Linear(count * n * 8 * 8, hidden)]
    return nn.Sequential(*layers)


class Discriminator(nn.Module):
    """Encoder then decoder, with k_t as a buffer [1] on D's device, as RawGan's BeganDiscriminator (whose
    host-side lr_plateau buffer belongs to the schedule left out here)."""

    def __init__(self, size, n, hidden):
        super().__init__()
        self.encoder = encoder(size, n, hidden)
        self.decoder = decoder(size, n, hidden)
        self.register_buffer("k_t", torch.zeros(1))

    def forward(self, x):
        return self.decoder(self.encoder(x))


def autoencoder_loss(reconstruction, v):
    """L(v) = mean |D(v) - v| in float32, differentiated through both D(v) and v (the recipe's residual form)."""
    return (reconstruction.float() - v.float()).abs().mean()


def began_step(ctx, g, d, net_d, opt_g, opt_d, nz):
    b, dev = ctx.batch, ctx.device

    def latent():
        # z ~ U(-1, 1) in one kernel (an RNG op a CUDA graph captures).
        return torch.empty(b, nz, device=dev).uniform_(-1.0, 1.0)

    def step(real):
        # k_t this step: a copy, since the buffer is updated in place at the end.
        with torch.no_grad():
            k = net_d.k_t.clone()
        # D's step: L_D = L(x) - k_t L(G(z_D)), G held fixed (its forward records no graph).
        opt_d.zero_grad(set_to_none=True)
        with torch.no_grad(), ctx.autocast():
            fake_d = g(latent())
        with ctx.autocast():
            rec_real = d(real)
            rec_fake = d(fake_d)
        loss_real = autoencoder_loss(rec_real, real)
        loss_d = loss_real - autoencoder_loss(rec_fake, fake_d) * k  # shape [1], as k_t: backward takes it
        loss_d.backward()
        opt_d.step()
        # G's step: L_G = L(G(z_G)); D's gradients are computed, not applied.
        opt_g.zero_grad(set_to_none=True)
        with ctx.autocast():
            fake_g = g(latent())
            rec_g = d(fake_g)
        loss_g = autoencoder_loss(rec_g, fake_g)
        loss_g.backward()
        opt_g.step()
        opt_d.zero_grad(set_to_none=True)
        # The proportional control of k_t on the device: no host sync, so the step can be captured.
        # (RawGan writes the clamp as relu(v) - relu(v - 1), the same for any v below 2.)
        with torch.no_grad():
            balance = loss_real.detach() * GAMMA - loss_g.detach()
            net_d.k_t.copy_(torch.clamp(k + balance * LAMBDA_K, 0.0, 1.0))

    return step


def began_flops(fg, fd):
    """BenchRecipes' began step: G fwd (no graph), D fwd + bwd on real, D fwd + bwd on the fakes (no dX either
    time), G fwd, D fwd + bwd into G, G bwd."""
    return step_flops([(fg, "fwd", 1), (fd, "fwd", 1), (fd, "bwd", 1), (fd, "fwd", 1), (fd, "bwd", 1),
                       (fg, "fwd", 1), (fd, "fwd", 1), (fd, "bwdx", 1), (fg, "bwd", 1)])


def build(ctx):
    size = ctx.size
    if size not in (64, 128):
        raise ValueError(f"--size {size}: BEGAN supports 64 or 128")
    net_g = decoder(size, FILTERS, NZ).to(ctx.device, memory_format=ctx.memory_format)
    net_d = Discriminator(size, FILTERS, HIDDEN).to(ctx.device, memory_format=ctx.memory_format)
    flops = began_flops(ctx.layer_flops(net_g, torch.zeros(1, NZ, device=ctx.device)),
                        ctx.layer_flops(net_d, torch.zeros(1, 3, size, size, device=ctx.device)))
    opt_g = ctx.adam(net_g.parameters(), lr=1e-4, betas=(0.5, 0.999))
    opt_d = ctx.adam(net_d.parameters(), lr=1e-4, betas=(0.5, 0.999))
    g, d = ctx.compile(net_g), ctx.compile(net_d)
    return Built(began_step(ctx, g, d, net_d, opt_g, opt_d, NZ), flops, 3, (-1.0, 1.0), {"G": net_g, "D": net_d})
