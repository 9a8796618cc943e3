"""The faces GAN of "Generating Faces with Torch" (Larsen and Sønderby, Torch blog, 2015) as RawGan's
TorchFacesRecipe builds it at 64 px (32 px also):
G = Linear(512, 128*8*8) -> reshape 128x8x8 -> ReLU, 3x [nearest upsample x2 -> Conv(5, pad 2) + bias ->
BN -> ReLU] to 256, 256, 128 channels, Conv(3, pad 1) to 3 channels -> tanh;
D = 3x [Conv(5, pad 2) + bias -> ReLU -> max-pool 2 -> spatial dropout 0.2] with 32, 64, 96 channels (no
BN), flatten, Linear(96*8*8, 1024) -> ReLU -> dropout 0.5 -> Linear(1024, 1) to one logit.
Errors are BCE with logits, each a batch mean. RMSprop (lr 1e-3, alpha 0.9, eps 1e-8) for both; Torch's
default initialisation, which is PyTorch's. The benchmark runs the recipe with Balance = None, so both
networks update every step. One iteration: G on z without a graph (D's fakes); D on real and on those
fakes, forward, then one backward of the mean of the two errors, D's update; G on fresh z, D on its
images, backward into G, G's update; D's gradients of G's step dropped; the skip window counts the step.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

from torch_recipes import Built, step_flops

DEFAULT_SIZE = 64
# TorchFacesOptions' defaults (train_lfw.lua's).
NZ, NGF, NDF, HIDDEN = 512, 128, 32, 1024
CONV_DROPOUT, DENSE_DROPOUT = 0.2, 0.5
LR, DECAY = 1e-3, 0.9        # the learning rate of epoch 0 (lr * 0.99^epoch); RMSprop's alpha
COEF_L2 = 0.0                # D's weight decay; only `--balance l2` moves it
WINDOW = 100                 # Balancer.WindowLength


def check_size(size):
    if size not in (32, 64):
        raise ValueError(f"--size {size}: this recipe supports 32 or 64")


def generator(size, nz=NZ, ngf=NGF):
    """TorchFacesRecipe.BuildGenerator, layer for layer (the indices of RawGan's checkpoint keys)."""
    s = size // 8
    return nn.Sequential(
        nn.Linear(nz, ngf * s * s), nn.Unflatten(1, (ngf, s, s)), nn.ReLU(True),
        nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(ngf, 2 * ngf, 5, padding=2), nn.BatchNorm2d(2 * ngf), nn.ReLU(True),
        nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(2 * ngf, 2 * ngf, 5, padding=2), nn.BatchNorm2d(2 * ngf), nn.ReLU(True),
        nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(2 * ngf, ngf, 5, padding=2), nn.BatchNorm2d(ngf), nn.ReLU(True),
        nn.Conv2d(ngf, 3, 3, padding=1), nn.Tanh())


def discriminator(size, ndf=NDF, hidden=HIDDEN, conv_dropout=CONV_DROPOUT, dense_dropout=DENSE_DROPOUT):
    """TorchFacesRecipe.BuildDiscriminator: the conv blocks drop whole channels (Torch's SpatialDropout,
    RawGan's Dropout2d, PyTorch's Dropout2d: one Bernoulli per image and channel, survivors scaled by
    1 / (1 - p)); the dense block drops elements."""
    s = size // 8
    return nn.Sequential(
        nn.Conv2d(3, ndf, 5, padding=2), nn.ReLU(True), nn.MaxPool2d(2), nn.Dropout2d(conv_dropout),
        nn.Conv2d(ndf, 2 * ndf, 5, padding=2), nn.ReLU(True), nn.MaxPool2d(2), nn.Dropout2d(conv_dropout),
        nn.Conv2d(2 * ndf, 3 * ndf, 5, padding=2), nn.ReLU(True), nn.MaxPool2d(2), nn.Dropout2d(conv_dropout),
        nn.Flatten(), nn.Linear(3 * ndf * s * s, hidden), nn.ReLU(True), nn.Dropout(dense_dropout),
        nn.Linear(hidden, 1))


class SkipWindow(nn.Module):
    """The "balance" module (RawGan's SkipWindow): skipped updates of D and G over the last WINDOW
    steps, a buffer without parameters. Every step shifts in its flags; with Balance = None they are 0."""

    def __init__(self, length=WINDOW):
        super().__init__()
        self.register_buffer("recent", torch.zeros(2, length))

    @torch.no_grad()
    def forward(self, flags):
        self.recent.copy_(torch.cat([self.recent[:, 1:], flags.view(2, 1)], 1))
        return self.recent.sum(1)


def rmsprop(ctx, params, weight_decay=0.0):
    """RawGan's RMSprop "with Torch semantics" (Torch7's optim.rmsprop) is torch.optim.RMSprop's math
    (uncentred, no momentum): d = g + wd p; m = alpha m + (1 - alpha) d^2; p -= lr d / (sqrt(m) + eps),
    eps outside the root (TensorFlow's is inside), m starting at 0 (RawGan's initialMean default)."""
    return ctx.rmsprop(params, lr=LR, alpha=DECAY, eps=1e-8, weight_decay=weight_decay)


def error(logits, target):
    """The seed's criterion: mean BCE of sigmoid(logits) against a constant target, in float32."""
    return F.binary_cross_entropy_with_logits(logits.float(), target)


def targets(ctx):
    """D's output is [batch, 1]: label tensors of that shape made once (1 for real, 0 for fake)."""
    b, dev = ctx.batch, ctx.device
    return torch.ones(b, 1, device=dev), torch.zeros(b, 1, device=dev)


def discriminator_step(ctx, d, opt_d, real, fake, ones, zeros):
    """D's half of a step (shared with vaegan): err_R and err_F on the batch, then one backward of
    their mean (the seed's criterion on its half-real, half-fake batch) and D's update."""
    opt_d.zero_grad(set_to_none=True)
    with ctx.autocast():
        logits_real = d(real)
        logits_fake = d(fake)
    err_r, err_f = error(logits_real, ones), error(logits_fake, zeros)
    ((err_r + err_f) * 0.5).backward()
    opt_d.step()
    return err_r, err_f


def gan_step(ctx, g, d, window, opt_g, opt_d, nz=NZ):
    b, dev = ctx.batch, ctx.device
    ones, zeros = targets(ctx)
    no_skips = torch.zeros(2, device=dev)  # Balance = None: neither network sits out

    def step(real):
        # D's fakes from a G forward without a graph (G gets no gradient from D's step).
        with torch.no_grad(), ctx.autocast():
            fake = g(torch.randn(b, nz, device=dev))
        discriminator_step(ctx, d, opt_d, real, fake, ones, zeros)
        # G's error f on fresh latents; the backward also fills D's gradients, dropped after.
        opt_g.zero_grad(set_to_none=True)
        with ctx.autocast():
            logits = d(g(torch.randn(b, nz, device=dev)))
        error(logits, ones).backward()
        opt_g.step()
        opt_d.zero_grad(set_to_none=True)
        window(no_skips)

    return step


def torchfaces_flops(fg, fd):
    """BenchRecipes' torchfaces step: G fwd (no graph); D fwd twice, D bwd twice (no dX); G fwd, D fwd,
    D bwd with dX, G bwd (no dX into z)."""
    return step_flops([(fg, "fwd", 1), (fd, "fwd", 1), (fd, "fwd", 1), (fd, "bwd", 1), (fd, "bwd", 1),
                       (fg, "fwd", 1), (fd, "fwd", 1), (fd, "bwdx", 1), (fg, "bwd", 1)])


def build_gan(ctx):
    """G, D and the skip window on the device (shared with vaegan), and their layer FLOPs."""
    check_size(ctx.size)
    net_g = generator(ctx.size).to(ctx.device, memory_format=ctx.memory_format)
    net_d = discriminator(ctx.size).to(ctx.device, memory_format=ctx.memory_format)
    window = SkipWindow().to(ctx.device)
    fg = ctx.layer_flops(net_g, torch.zeros(1, NZ, device=ctx.device))
    fd = ctx.layer_flops(net_d, torch.zeros(1, 3, ctx.size, ctx.size, device=ctx.device))
    return net_g, net_d, window, fg, fd


def build(ctx):
    net_g, net_d, window, fg, fd = build_gan(ctx)
    opt_g = rmsprop(ctx, net_g.parameters())
    opt_d = rmsprop(ctx, net_d.parameters(), weight_decay=COEF_L2)
    g, d = ctx.compile(net_g), ctx.compile(net_d)
    return Built(gan_step(ctx, g, d, window, opt_g, opt_d), torchfaces_flops(fg, fd), 3, (-1.0, 1.0),
                 {"G": net_g, "D": net_d, "balance": window})
