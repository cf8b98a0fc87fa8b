"""The ``facade`` test chart: a synthetic building facade and its colour-coded label map.

Registered with srzoo's ``srzoo_register_charts`` hook, so ``srzoo demo`` and ``srzoo upscale
chart:facade`` use it; [`facade_with_labels`][srzoo_plugins.datasets.facade_chart.facade_with_labels]
also returns the semantic map, in the spirit of the CMP Facades labels.
"""

from __future__ import annotations

import numpy as np
import torch
from PIL import Image, ImageDraw

__all__ = ["FACADE_PALETTE", "facade", "facade_with_labels"]


def _rgb(image: Image.Image) -> torch.Tensor:
    array = np.asarray(image.convert("RGB"), dtype=np.float32) / 255.0
    return torch.from_numpy(array.transpose(2, 0, 1).copy())


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
    """The synthetic facade photo of [`facade_with_labels`][srzoo_plugins.datasets.facade_chart.facade_with_labels], ``(3, size, size)`` in ``[0, 1]``."""
    return facade_with_labels(size)[0]
