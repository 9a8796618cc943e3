"""PyTorch twins of RawGan's recipes for tools/peers/bench_torch.py: one module per recipe, each the
same networks, losses, optimizers and step as src/RawGan.Train/Recipes/<Name>Recipe.cs at its defaults.

A module defines DEFAULT_SIZE and build(ctx) -> Built. ctx (bench_torch.Context) gives the device, the
memory format, the batch and size, autocast() for the forward passes, adam()/rmsprop() with PyTorch's
fastest implementation for the mode, and layer_flops() for the FLOP count.
"""
import importlib
from dataclasses import dataclass
from typing import Callable, Dict, List, Tuple

NAMES = ["dcgan", "tfdcgan", "torchfaces", "vaegan", "began"]


@dataclass
class Built:
    step: Callable[[object], None]       # one training iteration on the real batch (a tensor on the device)
    flops_per_image: int                 # as RawGan's BenchRecipes counts the step
    channels: int
    data_range: Tuple[float, float]      # the real batch is uniform in this range
    networks: Dict[str, object]          # by RawGan's module names ("G", "D", "E"): their parameters are counted


def load(name):
    return importlib.import_module(f"torch_recipes.{name}")


def step_flops(passes: List[Tuple[List[int], str, int]]) -> int:
    """FLOPs per image of a step from its passes, as BenchRecipes.FlopsPerImage: (layer FLOPs of the
    network, kind, images per batch image), kind "fwd", "bwd" (no input gradient: dW of every layer,
    dX of all but the first) or "bwdx" (dX into the input too)."""
    total = 0
    for layers, kind, images in passes:
        f = sum(layers)
        total += images * {"fwd": f, "bwd": 2 * f - (layers[0] if layers else 0), "bwdx": 2 * f}[kind]
    return total
