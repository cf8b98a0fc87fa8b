"""Test charts that srzoo draws itself: the embedded default input and good SR probes.

Every chart is deterministic and returned as a ``(3, size, size)`` float32 tensor in ``[0, 1]``.

- ``siemens-star``: black/white sectors whose spatial frequency rises towards the centre; shows the
  radius at which a method stops resolving detail, and aliasing.
- ``zone-plate``: ``cos(π r² / size)``, a chirp from DC at the centre to the Nyquist frequency at the
  border; shows frequency response and aliasing in every orientation.
- ``text``: lines of text from large to tiny; the classic readability probe.
- ``edges``: a slanted edge (for MTF), colour bars and checkerboards of several periods.

Plugins add charts with the ``srzoo_register_charts`` hook (the datasets plugin adds ``facade``, a
synthetic building facade in Stage-GAN's domain); [`CHARTS`][srzoo.charts.CHARTS] lists them all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFont

from .errors import InputError
from .registry import loader

__all__ = ["CHARTS", "make_chart"]

_SUPERSAMPLE = 4


def _supersampled(size: int, draw: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> np.ndarray:
    """Evaluate ``draw(x, y)`` on a 4× finer grid centred on the image and box-filter it down."""
    n = size * _SUPERSAMPLE
    coords = (np.arange(n, dtype=np.float64) + 0.5) / _SUPERSAMPLE - size / 2
    y, x = np.meshgrid(coords, coords, indexing="ij")
    fine = draw(x, y)
    return fine.reshape(size, _SUPERSAMPLE, size, _SUPERSAMPLE).mean(axis=(1, 3))


def _gray(values: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.repeat(values[None].astype(np.float32), 3, axis=0)).clamp_(0.0, 1.0)


def _rgb(image: Image.Image) -> torch.Tensor:
    array = np.asarray(image.convert("RGB"), dtype=np.float32) / 255.0
    return torch.from_numpy(array.transpose(2, 0, 1).copy())


def siemens_star(size: int = 256, spokes: int = 36) -> torch.Tensor:
    """A Siemens star with ``spokes`` black/white pairs on a mid-grey surround, ``(3, size, size)``."""

    def draw(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        theta = np.arctan2(y, x)
        star = (np.sin(spokes * theta) >= 0).astype(np.float64)
        return np.where(np.hypot(x, y) <= 0.46 * size, star, 0.5)

    return _gray(_supersampled(size, draw))


def zone_plate(size: int = 256) -> torch.Tensor:
    """A circular zone plate ``0.5 + 0.5 cos(π r² / size)``: DC at the centre, Nyquist at the border."""

    def draw(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return 0.5 + 0.5 * np.cos(np.pi * (x * x + y * y) / size)

    return _gray(_supersampled(size, draw))


def text_chart(size: int = 256) -> torch.Tensor:
    """Black text on white in sizes from ``size/8`` down to 6 pixels."""
    image = Image.new("RGB", (size, size), "white")
    draw = ImageDraw.Draw(image)
    top = 4
    font_size = max(6, size // 8)
    lines = ["srzoo SR", "Stage-GAN x8", "The quick brown fox", "jumps over the lazy dog 0123456789"]
    index = 0
    while top < size - 6:
        font = ImageFont.load_default(size=font_size)
        draw.text((4, top), lines[index % len(lines)], fill="black", font=font)
        top += int(font_size * 1.25) + 2
        font_size = max(6, int(font_size * 0.8))
        index += 1
    return _rgb(image)


def edges_chart(size: int = 256) -> torch.Tensor:
    """A 5°-slanted edge (top half), colour bars and checkerboards of period 2, 4, 8, 16 px (bottom)."""

    def slanted(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return np.where(x * np.cos(np.radians(5.0)) - y * np.sin(np.radians(5.0)) > 0, 0.9, 0.1)

    gray = _supersampled(size, slanted)
    image = np.repeat(gray[..., None], 3, axis=2)
    half = size // 2
    bars = np.array(
        [[1, 1, 1], [1, 1, 0], [0, 1, 1], [0, 1, 0], [1, 0, 1], [1, 0, 0], [0, 0, 1], [0, 0, 0]],
        dtype=np.float64,
    )
    bar_rows = slice(half, half + size // 4)
    columns = np.arange(size) * len(bars) // size
    image[bar_rows] = bars[columns][None]
    rows = np.arange(size - (half + size // 4))[:, None]
    cols = np.arange(size)[None, :]
    period = np.array([2, 4, 8, 16])[cols * 4 // size]
    checks = ((rows // (period // 2)) + (cols // (period // 2))) % 2
    image[half + size // 4 :] = checks[..., None].astype(np.float64)
    return torch.from_numpy(image.transpose(2, 0, 1).astype(np.float32).copy())


_BUILTIN: dict[str, Callable[[int], torch.Tensor]] = {
    "siemens-star": siemens_star,
    "zone-plate": zone_plate,
    "text": text_chart,
    "edges": edges_chart,
}


class _Charts(Mapping[str, Callable[[int], torch.Tensor]]):
    """srzoo's own charts, then those plugins register (a built-in name always wins)."""

    def _table(self) -> dict[str, Callable[[int], torch.Tensor]]:
        table: dict[str, Callable[[int], torch.Tensor]] = dict(_BUILTIN)
        for name, entry in loader.state().charts.items():
            table.setdefault(name, _lazy(entry))
        return table

    def __getitem__(self, name: str) -> Callable[[int], torch.Tensor]:
        return self._table()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._table())

    def __len__(self) -> int:
        return len(self._table())

    def __repr__(self) -> str:
        return f"CHARTS({', '.join(self)})"


def _lazy(entry: Any) -> Callable[[int], torch.Tensor]:
    def draw(size: int) -> torch.Tensor:
        return entry.load()(size)

    draw.__doc__ = str(entry.metadata.get("description", ""))
    return draw


CHARTS: Mapping[str, Callable[[int], torch.Tensor]] = _Charts()
"""Chart name -> function ``(size) -> (3, size, size)`` tensor in ``[0, 1]``: srzoo's own charts and
those plugins add with the ``srzoo_register_charts`` hook (e.g. ``facade`` from the datasets plugin)."""


def make_chart(name: str, size: int = 256) -> torch.Tensor:
    """Draw the chart ``name`` (one of [`CHARTS`][]) as a ``(3, size, size)`` tensor in ``[0, 1]``.

    Raises:
        InputError: an unknown chart name, a size below 16, or a plugin's chart of the wrong shape.
    """
    charts = dict(CHARTS)
    if name not in charts:
        raise InputError(f"unknown chart {name!r}; expected one of: {', '.join(charts)}")
    if isinstance(size, bool) or not isinstance(size, int) or size < 16:
        raise InputError(f"chart size must be at least 16 pixels, got {size}")
    chart = charts[name](size)
    if not isinstance(chart, torch.Tensor) or chart.shape != (3, size, size) or chart.dtype != torch.float32:
        shape = tuple(chart.shape) if isinstance(chart, torch.Tensor) else type(chart).__name__
        raise InputError(f"chart {name!r} drew {shape}; a chart must be a (3, {size}, {size}) float32 tensor")
    return chart
