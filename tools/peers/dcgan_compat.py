#!/usr/bin/env python3
"""RawGan -> PyTorch weight compatibility for DCGAN.

Loads the generator of a RawGan checkpoint into pytorch/examples' DCGAN Generator with
load_state_dict(strict=True), feeds it the latents RawGan used (`rawgan sample --save-tensors`),
and checks that both produce the same images.

    rawgan sample --checkpoint CKPT --count 16 --out grid.png --save-tensors z.safetensors
    python3 tools/peers/dcgan_compat.py CKPT z.safetensors [--device cuda]

Exits 0 and prints the largest absolute difference when it is within 1e-4.
"""
import argparse
import json
import sys

import torch
import torch.nn as nn
from safetensors.torch import load_file
from safetensors import safe_open


def generator(size, nz, ngf, nc=3):
    """pytorch/examples/dcgan's Generator, generalised to 32/64/128 px as RawGan does:
    the top layer has ngf * size/8 channels and each block halves them."""
    mult = size // 8
    layers = [nn.ConvTranspose2d(nz, ngf * mult, 4, 1, 0, bias=False), nn.BatchNorm2d(ngf * mult), nn.ReLU(True)]
    while mult > 1:
        layers += [nn.ConvTranspose2d(ngf * mult, ngf * mult // 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ngf * mult // 2), nn.ReLU(True)]
        mult //= 2
    layers += [nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False), nn.Tanh()]
    g = nn.Module()
    g.main = nn.Sequential(*layers)
    g.forward = lambda x: g.main(x)
    return g


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("checkpoint")
    ap.add_argument("tensors")
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--tolerance", type=float, default=1e-4)
    args = ap.parse_args()

    with safe_open(args.checkpoint, framework="pt") as f:
        meta = f.metadata()
    options = json.loads(meta["options"])
    ckpt = load_file(args.checkpoint)
    state = {k[2:]: v for k, v in ckpt.items() if k.startswith("G.")}
    # RawGan stores num_batches_tracked as a float (it has no integer dtype yet); PyTorch's is int64.
    state = {k: (v.long() if k.endswith("num_batches_tracked") else v) for k, v in state.items()}

    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cuda.matmul.allow_tf32 = False
    g = generator(options["Size"], options["Nz"], options["Ngf"]).to(args.device)
    g.load_state_dict(state, strict=True)
    g.eval()

    t = load_file(args.tensors)
    with torch.no_grad():
        out = g(t["z"].to(args.device)).cpu()
    diff = (out - t["images"]).abs().max().item()
    print(json.dumps({"checkpoint": args.checkpoint, "images": list(out.shape), "max_abs_diff": diff,
                      "tolerance": args.tolerance, "device": args.device, "torch": torch.__version__}))
    sys.exit(0 if diff <= args.tolerance else 1)


if __name__ == "__main__":
    main()
