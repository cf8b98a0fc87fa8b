"""Exact tiling: upscale an image tile by tile, each tile with enough context to match the whole.

An output pixel of a convolutional model depends only on the LR pixels within its *receptive
field*: a radius ``r`` (in LR pixels) around it. Cutting the LR image into cores and running each
core with ``r`` extra LR pixels on every side (clipped at the image border, where the whole-image
run sees the same border) therefore reproduces the untiled result up to float rounding; the extra
context is cropped away, nothing is blended. Tiles must be larger than ``2 r`` pixels.

Models whose receptive field is unbounded (``None``: U-Nets, whose 8 down-samplings see the whole
256×256 window, and normalisations over the whole image) cannot be tiled exactly; for them
[`SRModel`][srzoo.SRModel] falls back to cross-faded overlapping tiles, which hide the seams but do not
reproduce the whole-image result.

The radius is the model's ``receptive_field``, derived from its components' registered metadata.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from itertools import pairwise
from typing import TYPE_CHECKING

import torch

from ..errors import InputError

if TYPE_CHECKING:
    from .srmodel import SRModel

__all__ = ["TileWarning", "check_tile", "exact_bands", "plan_axis", "receptive_field"]


def receptive_field(model: SRModel) -> int | None:
    """The radius, in LR pixels, that ``model``'s output depends on (``None``: unbounded).

    It is [`SRModel.receptive_field`][srzoo.SRModel.receptive_field], derived from the components'
    registered ``receptive_field`` metadata through the recipe's graph.
    """
    value = model.receptive_field
    return None if value is None else int(value)


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
    if core < radius:  # most of each window is context: the run can take minutes for a small image
        warnings.warn(
            f"tile {tile} leaves a core of {core} LR pixel(s) per window around {name}'s context of "
            f"{radius}: the model runs on about {(tile / core) ** 2:.0f}× the pixels it keeps; "
            f"a tile of {4 * radius} or more keeps that at most 4×",
            TileWarning,
            stacklevel=2,
        )
    return core


class TileWarning(UserWarning):
    """A tile so small that most of every window is context (the run is many times slower)."""


def plan_axis(size: int, tile: int, radius: int) -> tuple[int, list[tuple[int, int, int]]]:
    """Cut one axis of ``size`` LR pixels into the fewest windows of at most ``tile`` pixels.

    Windows are as long as one another (the cores are balanced rather than ``tile - 2 r`` long with
    a short last one), each core has ``radius`` pixels of context on both sides or reaches the image
    border, and windows are shifted inward at the borders, so the first and last cores need context
    on one side only: ``n = ceil((size - 2 r) / (tile - 2 r))`` windows where ``size > tile``.

    Returns:
        ``(window, cuts)``: the common window length and ``(core_start, core_stop, window_start)``
        for each window, in order; the cores partition ``[0, size)``.
    """
    if size <= tile:
        return size, [(0, size, 0)]
    count = -(-(size - 2 * radius) // (tile - 2 * radius))
    inner = -(-(size - 2 * radius) // count)
    window = inner + 2 * radius
    stops = [0] + [window - radius + k * inner for k in range(count - 1)] + [size]
    return window, [
        (start, stop, min(max(start - radius, 0), size - window)) for start, stop in pairwise(stops)
    ]


def exact_bands(
    run: Callable[[torch.Tensor], torch.Tensor],
    lr: torch.Tensor,
    scale: int,
    tile: int,
    radius: int,
    name: str,
) -> Iterator[tuple[int, torch.Tensor]]:
    """Upscale ``lr`` in exact tiles, one horizontal band of tiles at a time.

    Each axis is cut by `plan_axis`, so all the windows have one shape; the windows of a band run
    as one batch of at most ``tile * tile`` LR pixels per image (``max(1, tile**2 // window area)``
    windows at a time), which keeps the cores busy on small windows and bounds memory as one
    ``tile x tile`` window does.

    Args:
        run: the whole-image upscaler ``(N, 3, h, w) -> (N, 3, s*h, s*w)``.
        lr: ``(N, 3, H, W)`` input.
        scale: ``s``.
        tile: the longest LR side of a window including its context (a core is at most
            ``tile - 2 * radius``).
        radius: the model's receptive field in LR pixels.
        name: the model's name, for the error message.

    Yields:
        ``(top, band)``: the band's first HR row and its ``(N, 3, rows, s*W)`` pixels, top to bottom.

    Raises:
        InputError: a tile too small for the receptive field.
    """
    check_tile(tile, radius, name)
    n, _, h, w = lr.shape
    window_h, rows_plan = plan_axis(h, tile, radius)
    window_w, cols_plan = plan_axis(w, tile, radius)
    group = max(1, (tile * tile) // (window_h * window_w))
    for top, bottom, window_top in rows_plan:
        band = None
        rows = slice((top - window_top) * scale, (bottom - window_top) * scale)
        for first in range(0, len(cols_plan), group):
            cuts = cols_plan[first : first + group]
            pieces = [
                lr[..., window_top : window_top + window_h, left : left + window_w] for _, _, left in cuts
            ]
            sr = run(pieces[0] if len(pieces) == 1 else torch.cat(pieces))
            del pieces
            if band is None:
                band = sr.new_empty(n, sr.shape[1], (bottom - top) * scale, w * scale)
            for k, (left, right, window_left) in enumerate(cuts):
                cols = slice((left - window_left) * scale, (right - window_left) * scale)
                band[..., left * scale : right * scale] = sr[k * n : (k + 1) * n, :, rows, cols]
            del sr  # only the band is kept, not every window's output
        assert band is not None
        yield top * scale, band
        del band
