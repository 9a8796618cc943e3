"""The DCGAN of the O'Reilly TensorFlow face tutorial as RawGan's TfDcganRecipe: 28x28 faces in [-0.5, 0.5].
G: z ~ U(-1, 1)^100 -> Linear to 7x7x256 -> BN -> LeakyReLU(0.2), ConvT(5,2,2, output padding 1) to 14x14x128
and 28x28x64, each + BN + LeakyReLU(0.2), ConvT(5,1,2) to 3 channels + tanh; the step halves G's output to
[-0.5, 0.5]. D: [Conv(5,2,2) + BN + LeakyReLU(0.2)] x 3 (28 -> 14 -> 7 -> 4; 64, 128, 256 channels), flatten,
Linear to one logit. Every layer has a bias (tf.layers'); Glorot-uniform weights, zero biases. BCE with
logits, real labels smoothed to 0.9; Adam (2e-4, betas (0.5, 0.999)) for both. One iteration, as the recipe's
Step: G on z; D on real, D on the detached fakes (forwards), one backward of the summed loss, D's update;
D on the fakes again (forward + backward into G), G's update."""
import torch
import torch.nn as nn

from torch_recipes import Built
from torch_recipes.dcgan import dcgan_flops

DEFAULT_SIZE = 28
NZ, NGF, NDF = 100, 64, 64
SLOPE = 0.2
REAL_LABEL = 0.9


def generator(nz, ngf, nc=3):
    """Without the final halving, as RawGan's G: its tanh output is in [-1, 1]."""
    return nn.Sequential(
        nn.Linear(nz, 4 * ngf * 7 * 7), nn.Unflatten(1, (4 * ngf, 7, 7)), nn.BatchNorm2d(4 * ngf), nn.LeakyReLU(SLOPE, inplace=True),
        nn.ConvTranspose2d(4 * ngf, 2 * ngf, 5, 2, 2, output_padding=1), nn.BatchNorm2d(2 * ngf), nn.LeakyReLU(SLOPE, inplace=True),
        nn.ConvTranspose2d(2 * ngf, ngf, 5, 2, 2, output_padding=1), nn.BatchNorm2d(ngf), nn.LeakyReLU(SLOPE, inplace=True),
        nn.ConvTranspose2d(ngf, nc, 5, 1, 2), nn.Tanh())


def discriminator(ndf, nc=3):
    return nn.Sequential(
        nn.Conv2d(nc, ndf, 5, 2, 2), nn.BatchNorm2d(ndf), nn.LeakyReLU(SLOPE, inplace=True),
        nn.Conv2d(ndf, 2 * ndf, 5, 2, 2), nn.BatchNorm2d(2 * ndf), nn.LeakyReLU(SLOPE, inplace=True),
        nn.Conv2d(2 * ndf, 4 * ndf, 5, 2, 2), nn.BatchNorm2d(4 * ndf), nn.LeakyReLU(SLOPE, inplace=True),
        nn.Flatten(), nn.Linear(4 * ndf * 4 * 4, 1))


def glorot_init(m):
    """tf.layers' defaults, as the recipe's GlorotInit: Glorot-uniform kernels (PyTorch's fans, as RawGan's),
    zero biases. Batch norm keeps its ones and zeros."""
    if isinstance(m, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.xavier_uniform_(m.weight)
        nn.init.zeros_(m.bias)


def tf_step(ctx, g, d, opt_g, opt_d, nz):
    """The recipe's Step. Unlike dcgan's, G runs first, D's two losses are summed before one backward, and z is
    uniform; the passes are the same, so the FLOP count is dcgan's."""
    b, dev = ctx.batch, ctx.device
    criterion = nn.BCEWithLogitsLoss()
    real_targets = torch.full((b,), REAL_LABEL, device=dev)
    zeros = torch.zeros(b, device=dev)
    ones = torch.ones(b, device=dev)

    def step(real):
        # z ~ U(-1, 1) in one kernel (an RNG op a CUDA graph captures).
        z = torch.empty(b, nz, device=dev).uniform_(-1.0, 1.0)
        with ctx.autocast():
            fake = g(z) * 0.5  # the halving is the recipe's, outside G
        opt_d.zero_grad(set_to_none=True)
        with ctx.autocast():
            logits_real = d(real).view(-1).float()
            logits_fake = d(fake.detach()).view(-1).float()
        loss_d = criterion(logits_real, real_targets) + criterion(logits_fake, zeros)
        loss_d.backward()
        opt_d.step()
        opt_g.zero_grad(set_to_none=True)
        with ctx.autocast():
            logits_g = d(fake).view(-1).float()
        criterion(logits_g, ones).backward()
        opt_g.step()
        opt_d.zero_grad(set_to_none=True)  # D's gradients of G's step are computed, not applied

    return step


def build(ctx):
    if ctx.size != DEFAULT_SIZE:
        raise ValueError(f"--size {ctx.size}: the tfdcgan recipe makes {DEFAULT_SIZE}x{DEFAULT_SIZE} images")
    net_g = generator(NZ, NGF).to(ctx.device, memory_format=ctx.memory_format)
    net_d = discriminator(NDF).to(ctx.device, memory_format=ctx.memory_format)
    net_g.apply(glorot_init)
    net_d.apply(glorot_init)
    # BenchRecipes gives tfdcgan dcgan's passes (DcganStep).
    flops = dcgan_flops(ctx.layer_flops(net_g, torch.zeros(1, NZ, device=ctx.device)),
                        ctx.layer_flops(net_d, torch.zeros(1, 3, DEFAULT_SIZE, DEFAULT_SIZE, device=ctx.device)))
    opt_g = ctx.adam(net_g.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = ctx.adam(net_d.parameters(), lr=2e-4, betas=(0.5, 0.999))
    g, d = ctx.compile(net_g), ctx.compile(net_d)
    return Built(tf_step(ctx, g, d, opt_g, opt_d, NZ), flops, 3, (-0.5, 0.5), {"G": net_g, "D": net_d})
