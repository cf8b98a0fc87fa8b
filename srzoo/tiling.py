"""Exact tiling: upscale an image tile by tile, each tile with enough context to match the whole.

An output pixel of a convolutional model depends only on the LR pixels within its *receptive
field*: a radius ``r`` (in LR pixels) around it. Cutting the LR image into cores and running each
core with ``r`` extra LR pixels on every side (clipped at the image border, where the whole-image
run sees the same border) therefore reproduces the untiled result up to float rounding; the extra
context is cropped away, nothing is blended. Tiles must be larger than ``2 r`` pixels.

Models whose receptive field is unbounded (``None``: U-Nets, whose 8 down-samplings see the whole
256×256 window, and normalisations over the whole image) cannot be tiled exactly; for them
:class:`~srzoo.SRModel` falls back to cross-faded overlapping tiles, which hide the seams but do not
reproduce the whole-image result.

The radius comes from ``model.receptive_field`` where the model defines it; otherwise it is derived
here from the recipe's nodes for the built-in components (:data:`KNOWN_COMPONENTS`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

import torch

from .errors import InputError

if TYPE_CHECKING:
    from .model import SRModel
    from .recipe import Recipe

__all__ = ["KNOWN_COMPONENTS", "check_tile", "exact_bands", "receptive_field", "recipe_receptive_field"]

_MISSING = object()

# (radius in the node's input pixels or None, output size factor) from the node's arguments
_Rule = Callable[[Mapping[str, Any]], tuple[float | None, float]]


def _resize(args: Mapping[str, Any], radius: float) -> tuple[float, float]:
    scale = float(args.get("scale", 1))
    if args.get("direction", "down") == "up":
        return radius, scale
    return radius * scale + 1, 1.0 / scale  # the kernel is widened by the scale when shrinking


def _lapsrn(args: Mapping[str, Any]) -> tuple[float, float]:
    scale = int(args.get("scale", 4))
    depth = args.get("depth") or (5 if scale == 8 else 10)
    levels = int(math.log2(scale))
    # input conv (1), then per x2 level: depth 3x3 convs + the 3x3 stride-2 upsampling at the level's
    # resolution, one 3x3 conv at twice it; the image branch's 4x4 stride-2 upsampling runs beside
    radius = 1 + sum((depth + 1.5) / 2**level for level in range(levels))
    return max(radius, 2.0), float(scale)  # bicubic chroma: radius 2


def _srcnn(args: Mapping[str, Any]) -> tuple[float, float]:
    return float(sum(int(k) // 2 for k in args.get("kernel_sizes", (9, 5, 5)))), 1.0


def _srresnet(args: Mapping[str, Any]) -> tuple[float, float]:
    scale = int(args.get("scale", 4))
    blocks = int(args.get("num_blocks", 16))
    steps = int(math.log2(scale))
    radius = 4 + 2 * blocks + 1 + sum(1 / 2**i for i in range(steps)) + 4 / scale
    return radius, float(scale)


def _refiner(args: Mapping[str, Any]) -> tuple[float | None, float]:
    if args.get("norm", "batch") != "batch":  # instance norm pools over the whole image
        return None, 1.0
    return 15.0 + 8 * int(args.get("n_blocks", 9)), 1.0


KNOWN_COMPONENTS: dict[tuple[str, str], _Rule] = {
    ("degradation", "bicubic"): lambda a: _resize(a, 2.0),
    ("degradation", "torch-bicubic"): lambda a: _resize(a, 2.0),
    ("degradation", "torch-bilinear"): lambda a: _resize(a, 1.0),
    ("degradation", "torch-nearest"): lambda a: _resize(a, 1.0),
    ("generator", "lapsrn"): _lapsrn,
    ("generator", "srcnn"): _srcnn,
    ("generator", "srresnet"): _srresnet,
    ("generator", "unet"): lambda a: (None, 1.0),
    ("generator", "resnet-refiner"): _refiner,
}
"""Receptive-field rules of the built-in components: ``(kind, name) -> rule(args)`` returning the
radius in the node's input pixels (``None``: unbounded) and the node's output/input size factor."""


def recipe_receptive_field(recipe: Recipe) -> int | None:
    """The radius, in LR pixels, that the recipe's output depends on (``None``: unbounded or unknown).

    Follows the graph: a node's radius is the largest of its inputs' radii plus its own, converted
    to LR pixels by its input's resolution; rounded up, plus one pixel of margin.
    """
    from .recipe import INPUT_NAME

    radius: dict[str, float | None] = {INPUT_NAME: 0.0}
    factor: dict[str, float] = {INPUT_NAME: 1.0}
    for node in recipe.nodes:
        rule = KNOWN_COMPONENTS.get((node.kind, node.component))
        inputs = [radius[name] for name in node.inputs]
        own, grow = rule(node.args) if rule is not None else (None, 1.0)
        if own is None or any(r is None for r in inputs):
            radius[node.name] = None
        else:
            here = factor[node.inputs[0]]
            radius[node.name] = max(inputs) + own / here  # type: ignore[type-var,operator]
        factor[node.name] = factor[node.inputs[0]] * grow
    value = radius[recipe.output]
    return None if value is None else math.ceil(value) + 1


def receptive_field(model: SRModel) -> int | None:
    """``model.receptive_field`` where the model defines it, else :func:`recipe_receptive_field`."""
    value = getattr(model, "receptive_field", _MISSING)
    if value is not _MISSING:
        return None if value is None else int(value)  # type: ignore[call-overload]
    return recipe_receptive_field(model.recipe)


def check_tile(tile: int, radius: int, name: str) -> int:
    """The core side of ``tile``-pixel tiles with ``radius`` pixels of context on each side.

    Raises:
        InputError: ``tile`` leaves no core (smaller than ``2 * radius + 1``).
    """
    if isinstance(tile, bool) or not isinstance(tile, int) or tile < 1:
        raise InputError(f"tile must be a positive integer (LR pixels), got {tile!r}")
    core = tile - 2 * radius
    if core < 1:
        raise InputError(
            f"tile {tile} is too small for {name}: each output pixel depends on {radius} LR pixels around it, "
            f"so a tile needs at least {2 * radius + 1} (use a tile of {max(2 * radius + 1, 64)} or more)"
        )
    return core


def _starts(size: int, core: int) -> list[int]:
    return list(range(0, size, core))


def exact_bands(
    run: Callable[[torch.Tensor], torch.Tensor],
    lr: torch.Tensor,
    scale: int,
    tile: int,
    radius: int,
    name: str,
) -> Iterator[tuple[int, torch.Tensor]]:
    """Upscale ``lr`` in exact tiles, one horizontal band of tiles at a time.

    Args:
        run: the whole-image upscaler ``(N, 3, h, w) -> (N, 3, s*h, s*w)``.
        lr: ``(N, 3, H, W)`` input.
        scale: ``s``.
        tile: LR side of a tile including its context (the core is ``tile - 2 * radius``).
        radius: the model's receptive field in LR pixels.
        name: the model's name, for the error message.

    Yields:
        ``(top, band)``: the band's first HR row and its ``(N, 3, rows, s*W)`` pixels, top to bottom.

    Raises:
        InputError: a tile too small for the receptive field.
    """
    core = check_tile(tile, radius, name)
    n, _, h, w = lr.shape
    for top in _starts(h, core):
        bottom = min(top + core, h)
        window_top, window_bottom = _window(top, bottom, h, tile, radius)
        band = None
        for left in _starts(w, core):
            right = min(left + core, w)
            window_left, window_right = _window(left, right, w, tile, radius)
            sr = run(lr[..., window_top:window_bottom, window_left:window_right])
            if band is None:
                band = sr.new_empty(n, sr.shape[1], (bottom - top) * scale, w * scale)
            rows = slice((top - window_top) * scale, (bottom - window_top) * scale)
            cols = slice((left - window_left) * scale, (right - window_left) * scale)
            band[..., left * scale : right * scale] = sr[..., rows, cols]
            del sr  # only the band is kept, not every window's output
        assert band is not None
        yield top * scale, band
        del band


def _window(start: int, stop: int, size: int, tile: int, radius: int) -> tuple[int, int]:
    """The ``tile``-long window (the whole axis when shorter) holding ``[start, stop)`` with
    ``radius`` pixels of context on each side, or the image border where it is nearer.

    Windows are shifted inward at the borders rather than clipped, so that every window has the
    same shape: the backends' per-shape caches (oneDNN primitives, allocator pools) then stay one
    size however large the image.
    """
    if size <= tile:
        return 0, size
    first = min(max(start - radius, 0), size - tile)
    return first, first + tile
