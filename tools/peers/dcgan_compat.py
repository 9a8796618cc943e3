#!/usr/bin/env python3
"""RawGan -> PyTorch weight compatibility for DCGAN.

Loads the generator of a RawGan checkpoint into pytorch/examples' DCGAN Generator with
load_state_dict(strict=True), feeds it the latents RawGan used (`rawgan sample --save-tensors`),
and checks that both produce the same images. The checkpoint's G.N.* entries are that model's
main.N.* (RawGan's G is the Sequential pytorch/examples keeps in `self.main`). Reads safetensors
itself, so it needs nothing but PyTorch (tests/RawGan.Tests/PyTorchTwinTests.cs runs it on the CPU).

    rawgan sample --checkpoint CKPT --count 16 --out grid.png --save-tensors z.safetensors
    python3 tools/peers/dcgan_compat.py CKPT z.safetensors [--device cuda]

Exits 0 and prints the largest absolute difference when it is within 1e-4.
"""
import argparse
import json
import os
import struct
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_recipes.dcgan import generator as dcgan_layers  # noqa: E402  (after the path above)


def generator(size, nz, ngf):
    """pytorch/examples/dcgan's Generator (its layers under `main`, as its state dict names them),
    generalised to 32/64/128 px as RawGan does: the top layer has ngf * size/8 channels and each block halves them."""
    g = nn.Module()
    g.main = dcgan_layers(size, nz, ngf)
    g.forward = lambda x: g.main(x)
    return g


def read_safetensors(path):
    """The tensors (F32, F64) and the metadata of a safetensors file: an 8-byte little-endian header
    length, a JSON header (dtype, shape and byte range of each tensor), then the data."""
    with open(path, "rb") as f:
        header = json.loads(f.read(struct.unpack("<Q", f.read(8))[0]))
        data = f.read()
    dtypes = {"F32": torch.float32, "F64": torch.float64}
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        tensors[name] = torch.frombuffer(bytearray(data[begin:end]), dtype=dtypes[entry["dtype"]]).reshape(entry["shape"])
    return tensors, header.get("__metadata__", {})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("checkpoint")
    ap.add_argument("tensors")
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--tolerance", type=float, default=1e-4)
    args = ap.parse_args()

    ckpt, meta = read_safetensors(args.checkpoint)
    options = json.loads(meta["options"])
    state = {"main." + k[2:]: v for k, v in ckpt.items() if k.startswith("G.")}
    # RawGan stores num_batches_tracked as a float (it has no integer dtype yet); PyTorch's is int64.
    state = {k: (v.long() if k.endswith("num_batches_tracked") else v) for k, v in state.items()}

    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cuda.matmul.allow_tf32 = False
    g = generator(options["Size"], options["Nz"], options["Ngf"]).to(args.device)
    g.load_state_dict(state, strict=True)
    g.eval()

    t, _ = read_safetensors(args.tensors)
    with torch.no_grad():
        out = g(t["z"].to(args.device)).cpu()
    diff = (out - t["images"]).abs().max().item()
    print(json.dumps({"checkpoint": args.checkpoint, "images": list(out.shape), "max_abs_diff": diff,
                      "tolerance": args.tolerance, "device": args.device, "torch": torch.__version__}))
    sys.exit(0 if diff <= args.tolerance else 1)


if __name__ == "__main__":
    main()
