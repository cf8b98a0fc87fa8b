"""The reproduction's figures: Fig. 8/9-style stage strips and every run's loss curves."""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any

import torch

import srzoo
from srzoo.bench.protocol import matlab_rounding

from .models import Model
from .report import atomic_write


def _save_figure(figure: Any, path: Path) -> None:
    import io

    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=72, bbox_inches="tight")
    plt.close(figure)
    atomic_write(path, buffer.getvalue())


def stage_strips(trained: dict[str, tuple[Model, Path]], args: argparse.Namespace, out: Path) -> Path:
    """Fig. 8/9-style strips, one row per Stage-GAN model: MR | semantic map | Stage-1 | Stage-2 | HR."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    from srzoo.bench import resolve_data
    from srzoo.imageio import quantize_8bit

    rows = [label for label, (model, _) in trained.items() if model.stage1]
    figure, axes = plt.subplots(len(rows), 5, figsize=(11.0, 2.4 * len(rows)), squeeze=False)
    for axes_row, label in zip(axes, rows, strict=True):
        _, run = trained[label]
        model = srzoo.build(run / "recipe.toml", weights=run / "model.safetensors").to(args.bench_device)
        scale = model.scale
        sample = next(iter(resolve_data(f"{args.data}:test", 1).samples(scale)))
        down = srzoo.create("degradation", "bicubic", scale=scale, rounding=matlab_rounding(scale))
        with torch.inference_mode():
            lr = quantize_8bit(down(sample.hr[None]))
            outputs = model(lr.to(args.bench_device), return_intermediates=True)
        panels = [("MR (bicubic)", outputs["mr"]), ("semantic map", outputs.get("sem"))]
        panels += [("Stage-1", outputs["s2"]), ("Stage-2", outputs["sr"]), ("HR", sample.hr[None])]
        for axis, (title, image) in zip(axes_row, panels, strict=True):
            axis.set_xticks([])
            axis.set_yticks([])
            axis.set_title(title, fontsize=9)
            if image is None:
                axis.text(0.5, 0.5, "(no semantic map)", ha="center", va="center", fontsize=8)
                continue
            axis.imshow(image[0].float().clamp(0, 1).permute(1, 2, 0).cpu().numpy())
        axes_row[0].set_ylabel(label, fontsize=9)
    figure.suptitle("Stage-GAN stages on Facades test/ (Fig. 8/9 style)", fontsize=10)
    figure.tight_layout()
    path = out / "stages.png"
    _save_figure(figure, path)
    return path


LOG_KEYS = ("step", "epoch", "step_time", "skipped")


def loss_curves(trained: dict[str, tuple[Model, Path]], out: Path) -> Path:
    """One panel per model: every loss term and critic loss of its ``metrics.jsonl`` against the step."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    labels = list(trained)
    columns = 4
    rows = math.ceil(len(labels) / columns)
    figure, axes = plt.subplots(rows, columns, figsize=(4.0 * columns, 3.0 * rows), squeeze=False)
    for axis, label in zip(axes.flat, labels, strict=False):
        _, run = trained[label]
        records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines() if line]
        keys = [k for k in records[0] if k not in LOG_KEYS and "/" not in k] if records else []
        for key in keys:
            points = [
                (r["step"], r[key]) for r in records if isinstance(r.get(key), int | float) and r[key] > 0
            ]
            if points:
                axis.plot(
                    *zip(*points, strict=True),
                    label=key,
                    linewidth=1,
                    marker="." if len(points) < 20 else None,
                )
        axis.set_yscale("log")
        axis.set_title(label, fontsize=9)
        axis.set_xlabel("step", fontsize=8)
        axis.legend(fontsize=6)
        axis.grid(True, alpha=0.3)
    for axis in list(axes.flat)[len(labels) :]:
        axis.set_visible(False)
    figure.tight_layout()
    path = out / "loss_curves.png"
    _save_figure(figure, path)
    return path
