"""DCGAN as pytorch/examples builds it, generalised to 32/64/128 px as RawGan's DcganRecipe: G = ConvT(4,1,0)
+ BN + ReLU, [ConvT(4,2,1) + BN + ReLU]..., ConvT(4,2,1) + tanh; D = Conv(4,2,1) + LeakyReLU(0.2),
[Conv(4,2,1) + BN + LeakyReLU(0.2)]..., Conv(4,1,0) to one logit; BCE with logits; Adam (2e-4, betas
(0.5, 0.999)) for both. One iteration: D on real (forward + backward), G on fresh z, D on the detached
fakes (forward + backward), D's update, D on the fakes again (forward + backward into G), G's update."""
import torch
import torch.nn as nn

from torch_recipes import Built, step_flops

DEFAULT_SIZE = 64
NZ, NGF, NDF = 100, 64, 64


def generator(size, nz, ngf, nc=3):
    mult = size // 8
    layers = [nn.ConvTranspose2d(nz, ngf * mult, 4, 1, 0, bias=False), nn.BatchNorm2d(ngf * mult), nn.ReLU(True)]
    while mult > 1:
        layers += [nn.ConvTranspose2d(ngf * mult, ngf * mult // 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf * mult // 2), nn.ReLU(True)]
        mult //= 2
    layers += [nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False), nn.Tanh()]
    return nn.Sequential(*layers)


def discriminator(size, ndf, nc=3):
    layers = [nn.Conv2d(nc, ndf, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, inplace=True)]
    mult = 1
    while mult < size // 8:
        layers += [nn.Conv2d(ndf * mult, ndf * mult * 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ndf * mult * 2), nn.LeakyReLU(0.2, inplace=True)]
        mult *= 2
    layers += [nn.Conv2d(ndf * mult, 1, 4, 1, 0, bias=False)]
    return nn.Sequential(*layers)


def init_weights(m):
    """pytorch/examples' weights_init: N(0, 0.02) convolutions, N(1, 0.02) BN weights, zero BN biases."""
    if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(m.weight, 0.0, 0.02)
    elif isinstance(m, nn.BatchNorm2d):
        nn.init.normal_(m.weight, 1.0, 0.02)
        nn.init.zeros_(m.bias)


def gan_step(ctx, g, d, opt_g, opt_d, nz):
    """pytorch/examples/dcgan's loop body, the gradients dropped rather than zeroed (PyTorch 2's default)."""
    b, dev = ctx.batch, ctx.device
    criterion = nn.BCEWithLogitsLoss()
    ones = torch.ones(b, device=dev)
    zeros = torch.zeros(b, device=dev)

    def step(real):
        opt_d.zero_grad(set_to_none=True)
        with ctx.autocast():
            err_real = criterion(d(real).view(-1).float(), ones)
        err_real.backward()
        with ctx.autocast():
            fake = g(torch.randn(b, nz, 1, 1, device=dev))
            err_fake = criterion(d(fake.detach()).view(-1).float(), zeros)
        err_fake.backward()
        opt_d.step()
        opt_g.zero_grad(set_to_none=True)
        with ctx.autocast():
            err_g = criterion(d(fake).view(-1).float(), ones)
        err_g.backward()
        opt_g.step()
        opt_d.zero_grad(set_to_none=True)

    return step


def dcgan_flops(fg, fd):
    """BenchRecipes' DcganStep: D fwd + bwd on real, G fwd, D fwd + bwd on the detached fakes, D fwd + bwd into G, G bwd."""
    return step_flops([(fd, "fwd", 1), (fd, "bwd", 1), (fg, "fwd", 1), (fd, "fwd", 1), (fd, "bwd", 1),
                       (fd, "fwd", 1), (fd, "bwdx", 1), (fg, "bwd", 1)])


def build(ctx):
    size = ctx.size
    net_g = generator(size, NZ, NGF).to(ctx.device, memory_format=ctx.memory_format)
    net_d = discriminator(size, NDF).to(ctx.device, memory_format=ctx.memory_format)
    net_g.apply(init_weights)
    net_d.apply(init_weights)
    flops = dcgan_flops(ctx.layer_flops(net_g, torch.zeros(1, NZ, 1, 1, device=ctx.device)),
                        ctx.layer_flops(net_d, torch.zeros(1, 3, size, size, device=ctx.device)))
    opt_g = ctx.adam(net_g.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = ctx.adam(net_d.parameters(), lr=2e-4, betas=(0.5, 0.999))
    g, d = ctx.compile(net_g), ctx.compile(net_d)
    return Built(gan_step(ctx, g, d, opt_g, opt_d, NZ), flops, 3, (-1.0, 1.0), {"G": net_g, "D": net_d})
