#!/usr/bin/env python3
"""PyTorch's DCGAN training iteration, timed as `rawgan bench train dcgan` times RawGan's.

The models, loss and optimizers are pytorch/examples/dcgan's, generalised to 32/64/128 px as RawGan's
DcganRecipe: G = ConvT(4,1,0) + BN + ReLU, [ConvT(4,2,1) + BN + ReLU]..., ConvT(4,2,1) + tanh; D = Conv(4,2,1)
+ LeakyReLU(0.2), [Conv(4,2,1) + BN + LeakyReLU(0.2)]..., Conv(4,1,0) to one logit; BCE with logits; Adam
(2e-4, betas (0.5, 0.999)) for both. One iteration: D on real (forward + backward), G on fresh z, D on the
detached fakes (forward + backward), D's update, D on the fakes again (forward + backward into G), G's update.
The real batch is random, already on the device; every iteration ends with a synchronisation.

Prints the same JSON fields as RawGan (--json) or a short report. Modes (flags combine):
  CPU:  --device cpu --threads N                         eager fp32 (Debian's PyTorch 1.13 is enough)
  CUDA: --precision fp32 | tf32 | bf16                   strict fp32, TF32 tensor cores, bf16 autocast
        --channels-last                                  NHWC models and batch
        --compile [--compile-mode M]                     torch.compile of G and D (PyTorch 2.x)
        --graph                                          the whole iteration captured in one CUDA graph
cudnn.benchmark is on for CUDA. Run the CPU mode with Debian's interpreter (the pyenv python3 on PATH has
no torch):  /usr/bin/python3 tools/peers/bench_torch.py --batch 64 --size 32 --device cpu --threads 2
Debian's torch calls netlib's reference BLAS for the convolutions oneDNN does not take (transposed convs,
conv backward); versions.blas names the library loaded. OpenBLAS in front, without changing the system:
  apt-get download libopenblas0-pthread && dpkg -x libopenblas0-pthread_*.deb /tmp/openblas
  LD_LIBRARY_PATH=/tmp/openblas/usr/lib/x86_64-linux-gnu/openblas-pthread OPENBLAS_NUM_THREADS=2 /usr/bin/python3 ...
"""
import argparse
import inspect
import json
import os
import platform
import resource
import statistics
import sys
import time

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--recipe", default="dcgan", choices=["dcgan"], help="the only recipe with a PyTorch twin so far")
parser.add_argument("--batch", type=int, required=True)
parser.add_argument("--size", type=int, default=64, choices=[32, 64, 128])
parser.add_argument("--nz", type=int, default=100)
parser.add_argument("--ngf", type=int, default=64)
parser.add_argument("--ndf", type=int, default=64)
parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
parser.add_argument("--threads", type=int, help="CPU threads (torch.set_num_threads); default: all cores")
parser.add_argument("--precision", default="fp32", choices=["fp32", "tf32", "bf16"])
parser.add_argument("--channels-last", action="store_true")
parser.add_argument("--compile", action="store_true", help="torch.compile G and D (PyTorch 2.x)")
parser.add_argument("--compile-mode", default="default", help="torch.compile's mode (default, max-autotune-no-cudagraphs, ...)")
parser.add_argument("--graph", action="store_true", help="capture the whole iteration in a CUDA graph and replay it")
parser.add_argument("--warmup", type=int, default=3)
parser.add_argument("--iters", type=int, default=20)
parser.add_argument("--seed", type=int, default=0)
parser.add_argument("--json", action="store_true", help="print one JSON object")
args = parser.parse_args()

if args.threads is not None:
    # OpenMP reads its thread count when the library loads: set it before importing torch.
    os.environ["OMP_NUM_THREADS"] = str(args.threads)

import torch  # noqa: E402  (after the environment above)
import torch.nn as nn  # noqa: E402


def fail(message):
    print(f"bench_torch.py: {message}", file=sys.stderr)
    sys.exit(1)


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


def layer_flops(net, x):
    """One image's forward FLOPs of each conv / transposed conv / linear layer, in order (as RawGan's
    NetworkFlops: conv on its output grid, transposed conv on its input grid, 2 FLOPs per multiply-add)."""
    flops = []

    def hook(m, inputs, output):
        i, o = inputs[0].shape, output.shape
        if isinstance(m, nn.ConvTranspose2d):
            flops.append(2 * m.in_channels * (m.out_channels // m.groups) * m.kernel_size[0] * m.kernel_size[1] * i[2] * i[3])
        elif isinstance(m, nn.Conv2d):
            flops.append(2 * m.out_channels * (m.in_channels // m.groups) * m.kernel_size[0] * m.kernel_size[1] * o[2] * o[3])
        elif isinstance(m, nn.Linear):
            flops.append(2 * m.in_features * m.out_features * (i[1:].numel() // m.in_features))

    handles = [m.register_forward_hook(hook) for m in net.modules() if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear))]
    was_training = net.training
    net.eval()
    with torch.no_grad():
        net(x)
    net.train(was_training)
    for h in handles:
        h.remove()
    return flops


def step_flops_per_image(g_layers, d_layers):
    """The DCGAN step as RawGan's BenchRecipes counts it: 3 F_G + 9 F_D, backward = 2x forward, less the
    input gradients nobody needs (G's first layer once, D's first layer on real and detached fakes)."""
    fg, fd = sum(g_layers), sum(d_layers)
    return 3 * fg - g_layers[0] + 9 * fd - 2 * d_layers[0]


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def loaded_blas():
    """The BLAS library this process loaded (Debian's torch links libblas.so.3, netlib's unless another is first)."""
    try:
        with open("/proc/self/maps") as f:
            paths = {line.split()[-1] for line in f if "blas" in line.rsplit("/", 1)[-1]}
    except OSError:
        return "unknown"
    return ", ".join(sorted(p.rsplit("/", 1)[-1] for p in paths)) or "none"


def main():
    cuda_ok = torch.cuda.is_available()
    device = ("cuda" if cuda_ok else "cpu") if args.device == "auto" else args.device
    if device == "cuda" and not cuda_ok:
        fail("--device cuda: this PyTorch sees no CUDA device")
    if device == "cpu" and (args.precision != "fp32" or args.graph):
        fail("--precision tf32/bf16 and --graph are CUDA modes; on the CPU use --precision fp32")
    if args.compile and not hasattr(torch, "compile"):
        fail(f"--compile needs PyTorch 2.x; this is {torch.__version__}")
    if args.graph and args.compile:
        fail("--graph and --compile are separate modes (torch.compile's own graphs: --compile-mode reduce-overhead)")
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    if device == "cuda":
        torch.backends.cudnn.benchmark = True
        tf32 = args.precision in ("tf32", "bf16")  # bf16 autocast leaves some ops in fp32; let those use TF32
        torch.backends.cuda.matmul.allow_tf32 = tf32
        torch.backends.cudnn.allow_tf32 = tf32

    torch.manual_seed(args.seed)
    dev = torch.device(device)
    fmt = torch.channels_last if args.channels_last else torch.contiguous_format
    net_g = generator(args.size, args.nz, args.ngf).to(dev, memory_format=fmt)
    net_d = discriminator(args.size, args.ndf).to(dev, memory_format=fmt)
    net_g.apply(init_weights)
    net_d.apply(init_weights)
    flops = step_flops_per_image(layer_flops(net_g, torch.zeros(1, args.nz, 1, 1, device=dev)),
                                 layer_flops(net_d, torch.zeros(1, 3, args.size, args.size, device=dev)))

    # PyTorch's fastest Adam on CUDA: the fused kernel (2.x); a captured step takes the documented
    # capturable multi-tensor variant instead. The CPU keeps 1.13's default (one loop per tensor).
    adam = {"lr": 2e-4, "betas": (0.5, 0.999)}
    if device == "cuda":
        if args.graph:
            adam.update(foreach=True, capturable=True)
        elif "fused" in inspect.signature(torch.optim.Adam).parameters:
            adam["fused"] = True
        else:
            adam["foreach"] = True
    opt_g = torch.optim.Adam(net_g.parameters(), **adam)
    opt_d = torch.optim.Adam(net_d.parameters(), **adam)
    g, d = (torch.compile(net_g, mode=args.compile_mode), torch.compile(net_d, mode=args.compile_mode)) if args.compile else (net_g, net_d)

    criterion = nn.BCEWithLogitsLoss()
    b = args.batch
    real = (torch.rand(b, 3, args.size, args.size, device=dev) * 2 - 1).contiguous(memory_format=fmt)
    ones = torch.ones(b, device=dev)
    zeros = torch.zeros(b, device=dev)
    use_autocast = args.precision == "bf16"

    def autocast():
        # bf16: the convolutions run in bf16, the loss in fp32; the backward passes run outside, as
        # PyTorch recommends. cache_enabled=False: the weight-cast cache must not outlive a captured graph.
        return torch.autocast(device_type=device, dtype=torch.bfloat16, enabled=use_autocast, cache_enabled=False)

    def step():
        # pytorch/examples/dcgan's loop body, the gradients dropped rather than zeroed (PyTorch 2's default).
        opt_d.zero_grad(set_to_none=True)
        with autocast():
            err_real = criterion(d(real).view(-1).float(), ones)
        err_real.backward()
        with autocast():
            fake = g(torch.randn(b, args.nz, 1, 1, device=dev))
            err_fake = criterion(d(fake.detach()).view(-1).float(), zeros)
        err_fake.backward()
        opt_d.step()
        opt_g.zero_grad(set_to_none=True)
        with autocast():
            err_g = criterion(d(fake).view(-1).float(), ones)
        err_g.backward()
        opt_g.step()
        opt_d.zero_grad(set_to_none=True)

    def sync():
        if device == "cuda":
            torch.cuda.synchronize()

    run = step
    if args.graph:
        # Warm up on a side stream (cuDNN's benchmark, Adam's state, the allocator), then capture one
        # whole iteration: both forwards, every backward, both Adam updates and the RNG draw of z.
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):
            for _ in range(max(args.warmup, 3)):
                step()
        torch.cuda.current_stream().wait_stream(side)
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            step()
        run = graph.replay

    for _ in range(args.warmup):
        run()
    sync()
    times = []
    cpu_start = time.process_time()
    for _ in range(args.iters):
        start = time.perf_counter()
        run()
        sync()
        times.append((time.perf_counter() - start) * 1e3)

    cpu_ms = (time.process_time() - cpu_start) * 1e3 / args.iters
    ms = statistics.median(times)
    if device == "cuda":
        peak = torch.cuda.max_memory_allocated() / 2**20
        reserved = torch.cuda.max_memory_reserved() / 2**20
        name = f"{torch.cuda.get_device_name()}, sm_{''.join(map(str, torch.cuda.get_device_capability()))}"
    else:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
        reserved = None
        name = f"{cpu_model()}, {torch.get_num_threads()} threads"
    mode = "+".join([args.precision] + (["channels_last"] if args.channels_last else []) +
                    ([f"compile:{args.compile_mode}"] if args.compile else []) + (["graph"] if args.graph else []))
    versions = {"torch": torch.__version__, "python": platform.python_version()}
    if device == "cuda":
        versions.update({"cuda": str(torch.version.cuda), "cudnn": str(torch.backends.cudnn.version())})
    else:
        versions["mkldnn"] = str(torch.backends.mkldnn.is_available())
        versions["blas"] = loaded_blas()
    result = {
        "engine": "pytorch", "mode": mode, "recipe": args.recipe, "batch": b, "size": args.size, "precision": args.precision,
        "device": device, "device_name": name, "warmup": args.warmup, "iters": args.iters,
        "ms_per_iter": ms, "ms_min": min(times), "ms_max": max(times), "img_per_s": b / (ms / 1e3),
        "gflop_per_image": flops / 1e9, "tflops": flops * b / (ms / 1e3) / 1e12, "peak_mem_mb": peak, "versions": versions,
    }
    if reserved is not None:
        result["reserved_mb"] = reserved
    else:
        result["cpu_ms_per_iter"] = cpu_ms  # processor time of all threads (OpenMP's spin-waits included)
    if args.json:
        print(json.dumps(result))
    else:
        print(f"pytorch {mode} dcgan: batch {b}, {args.size}x{args.size}, {device} ({name})")
        print(f"ms/iter   {ms:.2f} median (min {min(times):.2f}, max {max(times):.2f}) over {args.iters} after {args.warmup} warm-up")
        print(f"img/s     {result['img_per_s']:.1f}")
        print(f"compute   {flops / 1e9:.3f} GFLOP per image per iteration, {result['tflops']:.3f} TFLOP/s")
        if reserved is None:
            print(f"cpu time  {cpu_ms:.2f} ms per iteration, all threads")
        print(f"memory    peak {peak:.0f} MB" + (f", {reserved:.0f} MB reserved" if reserved is not None else " (max RSS)"))
        print("versions  " + ", ".join(f"{k} {v}" for k, v in versions.items()))


main()
