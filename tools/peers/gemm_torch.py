#!/usr/bin/python3
"""GFLOP/s of PyTorch's CPU float32 GEMM on the sizes tools/GemmBench times, so RawGan's numbers have a peer.

Run with Debian's interpreter, which has PyTorch 1.13 (the pyenv python3 on PATH has no torch):

    /usr/bin/python3 tools/peers/gemm_torch.py [--threads N]

Debian's torch calls whatever libblas.so.3 the dynamic linker finds: by default netlib's reference BLAS.
To time a tuned BLAS instead without changing the system, unpack Debian's OpenBLAS and put it first:

    apt-get download libopenblas0-pthread && dpkg -x libopenblas0-pthread_*.deb /tmp/openblas
    LD_LIBRARY_PATH=/tmp/openblas/usr/lib/x86_64-linux-gnu/openblas-pthread /usr/bin/python3 tools/peers/gemm_torch.py

The BLAS actually loaded is printed. "oneDNN" times torch's bundled oneDNN (MKL-DNN) inner product, the
tuned path PyTorch uses for Linear on mkldnn tensors; it computes X·Wᵀ, the same M×N×K flops.
The conv row times F.conv2d, which PyTorch runs with oneDNN's direct convolution (no im2col).
"""
import argparse
import os
import platform
import statistics
import sys
import time

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--threads", type=int, default=2, help="threads for torch, OpenMP and OpenBLAS (default 2)")
parser.add_argument("--quick", action="store_true", help="skip the products above 2^28 multiply-adds")
args = parser.parse_args()

# OpenBLAS and OpenMP read their thread counts when the library loads, so set them before importing torch.
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(args.threads)

import torch  # noqa: E402  (after the environment above)
import torch.nn.functional as F  # noqa: E402
from torch.utils import mkldnn as mkldnn_utils  # noqa: E402

torch.set_num_threads(args.threads)

# name, transA, transB, M, N, K: the same list as tools/GemmBench/Program.cs.
CASES = [
    ("square 256", False, False, 256, 256, 256),
    ("square 512", False, False, 512, 512, 512),
    ("square 1024", False, False, 1024, 1024, 1024),
    ("square 2048", False, False, 2048, 2048, 2048),
    ("conv fwd per image: W·col", False, False, 128, 64, 1024),
    ("conv fwd batched: W·col", False, False, 128, 4096, 1024),
    ("conv dW batched: dY·colᵀ", False, True, 128, 1024, 4096),
    ("conv dcol batched: Wᵀ·dY", True, False, 1024, 4096, 128),
]


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def loaded_blas():
    """The BLAS shared objects mapped into this process: what torch.mm really calls."""
    with open("/proc/self/maps") as f:
        libs = {line.split()[-1] for line in f if "blas" in line.lower() and "/" in line}
    return ", ".join(sorted(libs)) or "none found"


def measure(fn, flops, clock=time.perf_counter, min_reps=5, budget_s=0.5):
    """Median and best GFLOP/s after one warm-up call; repeats at least min_reps times, more within the budget.

    clock=time.thread_time times by this thread's CPU clock, which time-slicing on a shared machine does not
    inflate; it is only meaningful with one thread, when the BLAS computes on the calling thread.
    """
    fn()
    times = []
    start = time.perf_counter()
    while len(times) < min_reps or (time.perf_counter() - start < budget_s and len(times) < 25):
        t0 = clock()
        fn()
        times.append(clock() - t0)
    return flops / statistics.median(times) / 1e9, flops / min(times) / 1e9


def cell(result):
    return f"{result[0]:.1f} ({result[1]:.1f})"


def operand(rows, cols, transposed, gen):
    """A rows × cols operand; when transposed, a transposed view of a cols × rows matrix, as BLAS sees op(X)."""
    if transposed:
        return torch.rand(cols, rows, generator=gen).mul_(2).sub_(1).t()
    return torch.rand(rows, cols, generator=gen).mul_(2).sub_(1)


def main():
    torch.mm(torch.ones(8, 8), torch.ones(8, 8))  # loads the BLAS, so loaded_blas() sees it
    print(f"CPU: {cpu_model()}, {os.cpu_count()} logical cores; PyTorch {torch.__version__}, "
          f"{torch.get_num_threads()} threads")
    print(f"BLAS loaded: {loaded_blas()}")
    print(f"{time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC")
    print()
    cpu = args.threads == 1
    print("GFLOP/s, median (best) of the repeats, by the wall clock" +
          (", and by this thread's CPU clock (\"CPU time\")." if cpu else "."))
    print()
    columns = [f"torch.mm, {args.threads} thread(s)"] + (["torch.mm, CPU time"] if cpu else []) + \
              [f"oneDNN X·Wᵀ, {args.threads} thread(s)"] + (["oneDNN, CPU time"] if cpu else [])
    print("| shape | M×N×K | " + " | ".join(columns) + " |")
    print("|---|---|" + "---|" * len(columns))
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for name, ta, tb, m, n, k in CASES:
            if args.quick and m * n * k > 1 << 28:
                continue
            flops = 2.0 * m * n * k
            a, b = operand(m, k, ta, gen), operand(k, n, tb, gen)
            c = torch.empty(m, n)
            x = a.contiguous().to_mkldnn()
            linear = torch.nn.Linear(k, n, bias=False)
            linear.weight.copy_(b.t())
            dnn = mkldnn_utils.to_mkldnn(linear)
            cells = [cell(measure(lambda: torch.mm(a, b, out=c), flops))]
            if cpu:
                cells.append(cell(measure(lambda: torch.mm(a, b, out=c), flops, time.thread_time)))
            cells.append(cell(measure(lambda: dnn(x), flops)))
            if cpu:
                cells.append(cell(measure(lambda: dnn(x), flops, time.thread_time)))
            shape = f"{m}×{n}×{k}{' (Aᵀ)' if ta else ''}{' (Bᵀ)' if tb else ''}"
            print(f"| {name} | {shape} | " + " | ".join(cells) + " |")
            sys.stdout.flush()

        # The DCGAN layer itself, as PyTorch runs it: x[64,64,16,16] * w[128,64,4,4], stride 2, pad 1.
        x = torch.rand(64, 64, 16, 16, generator=gen)
        w = torch.rand(128, 64, 4, 4, generator=gen)
        conv_flops = 2.0 * 128 * 4096 * 1024
        cells = [cell(measure(lambda: F.conv2d(x, w, stride=2, padding=1), conv_flops))]
        if cpu:
            cells.append(cell(measure(lambda: F.conv2d(x, w, stride=2, padding=1), conv_flops, time.thread_time)))
        print("| conv fwd, F.conv2d (oneDNN direct conv) | 128×4096×1024 equivalent | — | " +
              ("— | " if cpu else "") + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
