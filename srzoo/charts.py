"""Test charts that srzoo draws itself: the embedded default input and good SR probes.

Every chart is deterministic and returned as a ``(3, size, size)`` float32 tensor in ``[0, 1]``.

- ``siemens-star``: black/white sectors whose spatial frequency rises towards the centre; shows the
  radius at which a method stops resolving detail, and aliasing.
- ``zone-plate``: ``cos(π r² / size)``, a chirp from DC at the centre to the Nyquist frequency at the
  border; shows frequency response and aliasing in every orientation.
- ``text``: lines of text from large to tiny; the classic readability probe.
- ``edges``: a slanted edge (for MTF), colour bars and checkerboards of several periods.
- ``facade``: a synthetic building facade (wall, windows, sills, door, cornice), Stage-GAN's domain;
  [`facade_with_labels`][] also returns its colour-coded semantic map.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from PIL import Image, ImageDraw, ImageFont

from .errors import InputError

__all__ = ["CHARTS", "facade_with_labels", "make_chart"]

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


# Colour-coded classes in the spirit of the CMP Facades label maps (a jet-like palette).
FACADE_PALETTE: dict[str, tuple[int, int, int]] = {
    "background": (0, 0, 170),
    "facade": (0, 0, 255),
    "window": (0, 85, 255),
    "door": (170, 255, 85),
    "cornice": (255, 85, 0),
    "sill": (85, 255, 170),
    "balcony": (170, 0, 0),
    "shop": (255, 255, 0),
}


def facade_with_labels(size: int = 256) -> tuple[torch.Tensor, torch.Tensor]:
    """A synthetic facade photo and its colour-coded label map, both ``(3, size, size)`` in ``[0, 1]``."""
    rng = np.random.default_rng(2019)  # fixed: the chart is part of the library's behaviour
    photo = Image.new("RGB", (size, size), (196, 170, 140))
    labels = Image.new("RGB", (size, size), FACADE_PALETTE["facade"])
    p, l = ImageDraw.Draw(photo), ImageDraw.Draw(labels)
    u = size / 256
    sky = int(18 * u)
    p.rectangle([0, 0, size, sky], fill=(150, 190, 230))
    l.rectangle([0, 0, size, sky], fill=FACADE_PALETTE["background"])
    p.rectangle([0, sky, size, sky + int(8 * u)], fill=(120, 100, 85))
    l.rectangle([0, sky, size, sky + int(8 * u)], fill=FACADE_PALETTE["cornice"])
    floors, columns = 4, 5
    floor_h = (size - sky - int(8 * u) - int(60 * u)) / floors
    col_w = size / columns
    for floor in range(floors):
        for column in range(columns):
            x0 = int(column * col_w + col_w * 0.25)
            x1 = int(column * col_w + col_w * 0.75)
            y0 = int(sky + 8 * u + floor * floor_h + floor_h * 0.2)
            y1 = int(sky + 8 * u + floor * floor_h + floor_h * 0.8)
            shade = int(rng.integers(30, 70))
            p.rectangle([x0 - 2, y0 - 2, x1 + 2, y1 + 2], fill=(235, 230, 220))
            p.rectangle([x0, y0, x1, y1], fill=(shade, shade + 15, shade + 30))
            p.line([(x0 + x1) // 2, y0, (x0 + x1) // 2, y1], fill=(235, 230, 220), width=max(1, int(2 * u)))
            l.rectangle([x0, y0, x1, y1], fill=FACADE_PALETTE["window"])
            p.rectangle([x0 - 4, y1 + 2, x1 + 4, y1 + 2 + int(4 * u)], fill=(170, 160, 150))
            l.rectangle([x0 - 4, y1 + 2, x1 + 4, y1 + 2 + int(4 * u)], fill=FACADE_PALETTE["sill"])
    ground = size - int(60 * u)
    p.rectangle([0, ground, size, size], fill=(110, 95, 80))
    l.rectangle([0, ground, size, size], fill=FACADE_PALETTE["shop"])
    door = [int(size / 2 - 18 * u), int(ground + 8 * u), int(size / 2 + 18 * u), size]
    p.rectangle(door, fill=(80, 45, 25))
    l.rectangle(door, fill=FACADE_PALETTE["door"])
    array = np.asarray(photo, dtype=np.float64)
    array += rng.normal(0.0, 4.0, array.shape)  # a little plaster texture
    photo = Image.fromarray(np.clip(array, 0, 255).round().astype(np.uint8))
    return _rgb(photo), _rgb(labels)


def facade(size: int = 256) -> torch.Tensor:
    """The synthetic facade photo of [`facade_with_labels`][]."""
    return facade_with_labels(size)[0]


CHARTS: dict[str, Callable[[int], torch.Tensor]] = {
    "siemens-star": siemens_star,
    "zone-plate": zone_plate,
    "text": text_chart,
    "edges": edges_chart,
    "facade": facade,
}
"""Chart name -> function ``(size) -> (3, size, size)`` tensor in ``[0, 1]``."""


def make_chart(name: str, size: int = 256) -> torch.Tensor:
    """Draw the chart ``name`` (one of [`CHARTS`][]) as a ``(3, size, size)`` tensor in ``[0, 1]``.

    Raises:
        InputError: an unknown chart name or a size below 16.
    """
    if name not in CHARTS:
        raise InputError(f"unknown chart {name!r}; expected one of: {', '.join(CHARTS)}")
    if size < 16:
        raise InputError(f"chart size must be at least 16 pixels, got {size}")
    return CHARTS[name](size)
