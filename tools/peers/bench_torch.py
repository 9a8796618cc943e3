#!/usr/bin/env python3
"""PyTorch's training iteration of a RawGan recipe, timed as `rawgan bench train RECIPE` times RawGan's.

Each recipe's twin is a module of tools/peers/torch_recipes/ (dcgan, tfdcgan, torchfaces, vaegan, began):
the same networks, losses, optimizers and step as src/RawGan.Train/Recipes at their defaults, with the
benchmark's overrides (the Torch faces recipes without their balancing rule, so every step does the same
work). The real batch is random, already on the device; every iteration ends with a synchronisation.

Prints the same JSON fields as RawGan (--json) or a short report. Modes (flags combine):
  CPU:  --device cpu --threads N                         eager fp32 (Debian's PyTorch 1.13 is enough)
  CUDA: --precision fp32 | tf32 | bf16                   strict fp32, TF32 tensor cores, bf16 autocast
        --channels-last                                  NHWC models and batch
        --compile [--compile-mode M]                     torch.compile of each network (PyTorch 2.x)
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
parser.add_argument("--recipe", default="dcgan", choices=["dcgan", "tfdcgan", "torchfaces", "vaegan", "began"])
parser.add_argument("--batch", type=int, required=True)
parser.add_argument("--size", type=int, help="image size; default: the recipe's (dcgan 32/64/128, began 64/128; the others have one)")
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
parser.add_argument("--describe", action="store_true",
                    help="print the step's GFLOP per image and each network's parameter count as JSON, and time nothing "
                         "(tests/RawGan.Tests/PyTorchTwinTests.cs checks them against RawGan's recipes)")
args = parser.parse_args()

if args.threads is not None:
    # OpenMP reads its thread count when the library loads: set it before importing torch.
    os.environ["OMP_NUM_THREADS"] = str(args.threads)

import torch  # noqa: E402  (after the environment above)
import torch.nn as nn  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_recipes  # noqa: E402


def fail(message):
    print(f"bench_torch.py: {message}", file=sys.stderr)
    sys.exit(1)


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


class Context:
    """What a recipe module builds with (torch_recipes/__init__.py): the device and the mode's choices."""

    def __init__(self, device, batch, size, graph):
        self.device = device
        self.batch = batch
        self.size = size
        self.memory_format = torch.channels_last if args.channels_last else torch.contiguous_format
        # PyTorch's fastest optimizers on CUDA: the fused kernels (2.x; Adam), else multi-tensor; a
        # captured step takes the documented capturable multi-tensor variant. The CPU keeps 1.13's
        # default (one loop per tensor).
        self._optim = {}
        if device.type == "cuda":
            self._optim = {"foreach": True, "capturable": True} if graph else {"foreach": True}
        self._fused_adam = device.type == "cuda" and not graph and "fused" in inspect.signature(torch.optim.Adam).parameters

    def autocast(self):
        # bf16: the networks run in bf16, the losses in fp32; the backward passes run outside, as
        # PyTorch recommends. cache_enabled=False: the weight-cast cache must not outlive a captured graph.
        return torch.autocast(device_type=self.device.type, dtype=torch.bfloat16, enabled=args.precision == "bf16", cache_enabled=False)

    def adam(self, params, **kw):
        return torch.optim.Adam(params, **kw, **({"fused": True} if self._fused_adam else self._optim))

    def rmsprop(self, params, **kw):
        return torch.optim.RMSprop(params, **kw, **self._optim)

    def compile(self, net):
        return torch.compile(net, mode=args.compile_mode) if args.compile else net

    def layer_flops(self, net, x):
        return layer_flops(net, x)


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
    recipe_module = torch_recipes.load(args.recipe)
    size = args.size or recipe_module.DEFAULT_SIZE
    ctx = Context(torch.device(device), args.batch, size, args.graph)
    built = recipe_module.build(ctx)
    low, high = built.data_range
    real = (torch.rand(args.batch, built.channels, size, size, device=ctx.device) * (high - low) + low).contiguous(memory_format=ctx.memory_format)
    flops = built.flops_per_image
    if args.describe:
        print(json.dumps({"recipe": args.recipe, "size": size, "gflop_per_image": flops / 1e9,
                          "parameters": {k: sum(p.numel() for p in n.parameters()) for k, n in built.networks.items()}}))
        return

    def step():
        built.step(real)

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
    b = args.batch
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
        "engine": "pytorch", "mode": mode, "recipe": args.recipe, "batch": b, "size": size, "precision": args.precision,
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
        print(f"pytorch {mode} {args.recipe}: batch {b}, {size}x{size}, {device} ({name})")
        print(f"ms/iter   {ms:.2f} median (min {min(times):.2f}, max {max(times):.2f}) over {args.iters} after {args.warmup} warm-up")
        print(f"img/s     {result['img_per_s']:.1f}")
        print(f"compute   {flops / 1e9:.3f} GFLOP per image per iteration, {result['tflops']:.3f} TFLOP/s")
        if reserved is None:
            print(f"cpu time  {cpu_ms:.2f} ms per iteration, all threads")
        print(f"memory    peak {peak:.0f} MB" + (f", {reserved:.0f} MB reserved" if reserved is not None else " (max RSS)"))
        print("versions  " + ", ".join(f"{k} {v}" for k, v in versions.items()))


main()
