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

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import torch

from ..errors import InputError

if TYPE_CHECKING:
    from .srmodel import SRModel

__all__ = ["check_tile", "exact_bands", "receptive_field"]


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
