"""The reproduction's figures: Fig. 8/9-style stage strips and every run's loss curves."""

from __future__ import annotations

import argparse
import json
import math
import textwrap
from pathlib import Path
from typing import Any

import torch

import srzoo
from srzoo.bench.protocol import matlab_rounding

from .models import Model
from .report import atomic_write

TITLE_KEY = "Title"
"""The PNG text chunk holding a figure's label (e.g. the reduced-width label), besides its drawn title."""


def _write_png(picture: Any, path: Path, title: str | None) -> None:
    """Write the PIL image ``picture`` to ``path`` with a 256-colour palette (the figures go into
    the docs as they are: a third of the RGB file's size) and ``title`` in its ``Title`` chunk."""
    import io

    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    if title:
        info.add_text(TITLE_KEY, title)
    buffer = io.BytesIO()
    picture.convert("RGB").quantize(colors=256).save(buffer, format="PNG", pnginfo=info, optimize=True)
    atomic_write(path, buffer.getvalue())


def _save_figure(figure: Any, path: Path, title: str | None = None) -> None:
    import io

    import matplotlib.pyplot as plt
    from PIL import Image

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=72, bbox_inches="tight")
    plt.close(figure)
    buffer.seek(0)
    with Image.open(buffer) as picture:
        _write_png(picture, path, title)


def label_png(source: Path, target: Path, title: str | None) -> Path:
    """Copy the PNG ``source`` (a figure drawn by ``srzoo.bench.figures``) to ``target``,
    palette-coded; with a ``title``, drawn in a band above the image and kept in its ``Title``
    text chunk."""
    from PIL import Image, ImageDraw, ImageFont

    with Image.open(source) as image:
        picture = image.convert("RGB")
    if title:
        band = 28
        labelled = Image.new("RGB", (picture.width, picture.height + band), "white")
        labelled.paste(picture, (0, band))
        ImageDraw.Draw(labelled).text((8, 5), title, fill="black", font=ImageFont.load_default(size=16))
        picture = labelled
    _write_png(picture, target, title)
    return target


def stage_strips(
    trained: dict[str, tuple[Model, Path]], args: argparse.Namespace, out: Path, title: str | None = None
) -> Path:
    """Fig. 8/9-style strips, one row per Stage-GAN model: every node's output (MR | semantic map |
    Stage-1 | Stage-2, from `srzoo.bench.stages.stage_images`, as ``srzoo bench`` draws them) and HR.

    The columns are the nodes of all rows in graph order; a row whose recipe lacks a node (an
    ablation without semantic maps) leaves that panel empty. ``title`` (the reduced-width label)
    heads the figure and is kept in its PNG ``Title`` chunk."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    from srzoo.bench import resolve_data
    from srzoo.bench.stages import stage_images
    from srzoo.imageio import quantize_8bit

    rows: dict[str, dict[str, Any]] = {}
    for label, (model, run) in trained.items():
        if not model.stage1:
            continue
        network = srzoo.build(run / "recipe.toml", weights=run / "model.safetensors").to(args.bench_device)
        sample = next(iter(resolve_data(f"{args.data}:test", 1).samples(network.scale)))
        down = srzoo.create(
            "degradation", "bicubic", scale=network.scale, rounding=matlab_rounding(network.scale)
        )
        with torch.inference_mode():
            lr = quantize_8bit(down(sample.hr[None]))[0]
        stages = stage_images(network, lr.to(args.bench_device))
        hr = (sample.hr * 255).round().to(torch.uint8)
        # a run recorded by an older srzoo has no node descriptions: take the registered recipe's
        described = {
            n.name: f"{n.name}: {n.description}"
            for n in srzoo.get_recipe(model.recipe).nodes
            if n.description
        }
        panels = {s.node: (described.get(s.node, s.label), s.image) for s in stages}
        rows[label] = panels | {"HR": ("HR", hr)}
    columns = list(dict.fromkeys(node for panels in rows.values() for node in panels))
    figure, axes = plt.subplots(
        len(rows), len(columns), figsize=(2.3 * len(columns), 2.9 * len(rows)), squeeze=False
    )
    for axes_row, (label, panels) in zip(axes, rows.items(), strict=True):
        for axis, node in zip(axes_row, columns, strict=True):
            axis.set_xticks([])
            axis.set_yticks([])
            if node not in panels:
                axis.text(0.5, 0.5, f"(no {node} node)", ha="center", va="center", fontsize=8)
                continue
            panel, image = panels[node]
            axis.set_title(textwrap.fill(panel, 24), fontsize=8)
            axis.imshow(image.permute(1, 2, 0).numpy(), interpolation="nearest")
        axes_row[0].set_ylabel(label, fontsize=9)
    heading = "Stage-GAN stages on Facades test/ (Fig. 8/9 style)"
    figure.suptitle(heading + (f"\n{title}" if title else ""), fontsize=10)
    figure.tight_layout()
    path = out / "stages.png"
    _save_figure(figure, path, title)
    return path


LOG_KEYS = ("step", "epoch", "step_time", "skipped")


def loss_curves(trained: dict[str, tuple[Model, Path]], out: Path, title: str | None = None) -> Path:
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
    if title:
        figure.suptitle(title, fontsize=10)
    figure.tight_layout()
    path = out / "loss_curves.png"
    _save_figure(figure, path, title)
    return path
