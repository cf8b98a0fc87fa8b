"""Figures of a run: the validation sample grid and the loss curves (matplotlib, Agg backend)."""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from pathlib import Path

import torch
import torch.nn.functional as F

from ..imageio import write_image
from .checkpoint import atomic_write
from .rundir import JsonLines

__all__ = ["loss_curves", "sample_grid"]


def sample_grid(rows: Sequence[Sequence[torch.Tensor]], path: Path, gap: int = 2) -> Path:
    """Tile images into a grid PNG: one row per sample, one column per image.

    Args:
        rows: per sample, ``(3, H_i, W_i)`` tensors in ``[0, 1]``; each is resized (nearest) to
            the largest ``H, W`` of its row, so LR images show their pixels.
        path: the PNG written (atomically).
        gap: white pixels between tiles.
    """
    tiles = []
    for row in rows:
        height = max(image.shape[-2] for image in row)
        width = max(image.shape[-1] for image in row)
        cells = []
        for image in row:
            image = image.detach().float().cpu().clamp(0.0, 1.0)
            if image.shape[0] == 1:
                image = image.expand(3, -1, -1)
            if image.shape[-2:] != (height, width):
                image = F.interpolate(image[None], size=(height, width), mode="nearest")[0]
            cells.append(image)
            cells.append(torch.ones(3, height, gap))
        tiles.append(torch.cat(cells[:-1], dim=-1))
    width = max(t.shape[-1] for t in tiles)
    padded = []
    for t in tiles:
        padded.append(F.pad(t, (0, width - t.shape[-1]), value=1.0))
        padded.append(torch.ones(3, gap, width))
    return write_image(torch.cat(padded[:-1], dim=-2), path)


def loss_curves(metrics: Path, path: Path, keys: Sequence[str]) -> Path | None:
    """Plot the ``keys`` columns of ``metrics.jsonl`` against the step (log scale); ``None`` without rows."""
    rows = JsonLines(metrics).rows()
    if not rows:
        return None
    import matplotlib  # matplotlib is heavy: imported only when figures are drawn

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure  # heavy: only when drawing

    figure = Figure(figsize=(8, 4.5), dpi=100)
    axes = figure.add_subplot()
    for key in keys:
        points = [(r["step"], r[key]) for r in rows if key in r]
        points = [(s, v) for s, v in points if isinstance(v, (int, float)) and math.isfinite(v) and v > 0]
        if points:
            axes.plot([p[0] for p in points], [p[1] for p in points], label=key, linewidth=1.2)
    axes.set_xlabel("step")
    axes.set_ylabel("loss")
    axes.set_yscale("log")
    axes.grid(True, alpha=0.3)
    if keys:
        axes.legend(fontsize=8, ncol=2)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return atomic_write(path, buffer.getvalue())
