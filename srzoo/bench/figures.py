"""The benchmark's figures (matplotlib, Agg backend): comparison grids and quality against speed.

* ``comparison-{set}-x{s}.png``: like the Stage-GAN paper's Fig. 10/12, one row of crops per
  image shown: HR | bicubic | each method at scale ``s``, with the image's PSNR/SSIM/GSM under each
  crop. With a bicubic column, the rows are the windows of up to ``MAX_ROWS`` different images
  where the learned methods gain most over bicubic (the largest drop of squared luma error,
  averaged over the methods), so the figure shows what a learned model buys rather than where
  every method fails; without one, the window where the methods differ most.
* ``stages-{set}-{method}.png``: for a method whose graph has learned intermediate stages (e.g.
  Stage-GAN's MR | semantic map | Stage-1 | Stage-2), one strip of every node's output in graph
  order on one image (the synthetic facade chart when the set holds it, else its first image; see
  `srzoo.bench.stages`), each panel titled by its node's name and recipe description.
* ``speed-{set}.png``: PSNR against ms/image (log scale when the times span more than 10×), marker
  area proportional to parameters, one legend entry per method (labels never overlap).
"""

from __future__ import annotations

import math
import re
import textwrap
from collections.abc import Sequence
from pathlib import Path

import torch
import torch.nn.functional as F

from .._io.atomic import atomic_write
from .data import resolve_data
from .runner import BenchResult

__all__ = ["pick_crop", "pick_gain_crops", "write_figures"]

STAGE_TITLE_WIDTH = 24
"""Characters per line of a stage panel's title (longer labels wrap, so neighbours never overlap)."""

CROP_SIDE = 96
"""Side of the comparison crops in HR pixels (smaller images use their whole side)."""

MAX_ROWS = 3
"""Most images (rows) in a comparison grid."""

_LUMA = torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)


def _luma(images: Sequence[torch.Tensor]) -> torch.Tensor:
    """``(N, H, W)`` float luma of ``N`` ``(3, H, W)`` uint8 images of one size."""
    return (torch.stack([image.float() for image in images]) * _LUMA).sum(1)


def _best_window(score: torch.Tensor, side: int) -> tuple[float, int, int, int]:
    """``(mean, top, left, side)`` of the ``side``-square window of ``(H, W)`` ``score`` with the
    largest mean, on a stride of ``side // 8``."""
    h, w = score.shape
    crop = min(side, h, w)
    stride = max(1, crop // 8)
    pooled = F.avg_pool2d(score[None, None], crop, stride=stride)[0, 0]
    value, flat = pooled.flatten().max(0)
    top, left = divmod(int(flat), pooled.shape[1])
    return float(value), top * stride, left * stride, crop


def pick_crop(images: Sequence[Sequence[torch.Tensor]], side: int = CROP_SIDE) -> tuple[int, int, int, int]:
    """The image and window where methods differ most.

    Args:
        images: per column, per image ``(3, H, W)`` uint8 images (HR and each method's SR, same
            sizes); the spread is taken over all columns, so one method alone is cropped where it
            is furthest from HR.
        side: the window's side (clipped to each image).

    Returns:
        ``(image_index, top, left, side)``.
    """
    best = (-1.0, 0, 0, 0, side)
    for index in range(len(images[0])):
        spread = _luma([method[index] for method in images]).std(0, unbiased=False)
        value, top, left, crop = _best_window(spread, side)
        if value > best[0]:
            best = (value, index, top, left, crop)
    return best[1], best[2], best[3], best[4]


def pick_gain_crops(
    hr: Sequence[torch.Tensor],
    bicubic: Sequence[torch.Tensor],
    methods: Sequence[Sequence[torch.Tensor]],
    side: int = CROP_SIDE,
    count: int = MAX_ROWS,
) -> list[tuple[int, int, int, int]]:
    """Windows of different images where the learned methods gain most over bicubic.

    The gain of a pixel is bicubic's squared luma error minus a method's, averaged over the
    methods; each image contributes its best window, and the ``count`` images whose best windows
    gain most are returned, best first (only windows with a positive gain, but at least one).

    Args:
        hr: per image, the ``(3, H, W)`` uint8 ground truth.
        bicubic: per image, bicubic's ``(3, H, W)`` uint8 output.
        methods: per method, per image, its ``(3, H, W)`` uint8 output.
        side: the window's side (clipped to each image).
        count: the most windows returned.

    Returns:
        ``[(image_index, top, left, side), ...]``.
    """
    if not methods:
        raise ValueError("pick_gain_crops needs at least one method besides bicubic")
    windows = []
    for index, truth in enumerate(hr):
        reference = _luma([truth])[0]
        bicubic_error = (_luma([bicubic[index]])[0] - reference) ** 2
        method_errors = (_luma([method[index] for method in methods]) - reference) ** 2
        gain = bicubic_error - method_errors.mean(0)
        value, top, left, crop = _best_window(gain, side)
        windows.append((value, index, top, left, crop))
    windows.sort(key=lambda window: -window[0])
    chosen = [w for w in windows[:count] if w[0] > 0] or windows[:1]
    return [(index, top, left, crop) for _, index, top, left, crop in chosen]


def write_figures(results: Sequence[BenchResult], out: Path) -> list[Path]:
    """Write the comparison grids (for results holding ``sr_images``), the stage strips (for
    results holding ``stages``) and the speed charts.

    Returns:
        The files written.
    """
    import matplotlib  # matplotlib is heavy: imported only when figures are drawn

    matplotlib.use("Agg", force=False)
    written = []
    groups: dict[tuple[str, int], list[BenchResult]] = {}
    for result in results:
        if result.sr_images and result.trained:
            groups.setdefault((result.protocol.dataset["spec"], result.scale), []).append(result)
    for (spec, scale), group in groups.items():
        written.append(_comparison(spec, scale, group, out))
    for result in results:
        if result.stages:
            written.append(_stage_strip(result, out))
    datasets: dict[str, list[BenchResult]] = {}
    for result in results:
        if result.psnr is not None:
            datasets.setdefault(result.dataset, []).append(result)
    for dataset, group in datasets.items():
        written.append(_speed_chart(dataset, group, out))
    return written


def _caption(result: BenchResult | None, index: int) -> str:
    if result is None:
        return ""
    scores = result.per_image[index].scores
    parts = [f"{scores['psnr']:.2f} dB" if "psnr" in scores else ""]
    parts += [f"{name.upper()} {scores[name]:.4f}" for name in ("ssim", "gsm") if name in scores]
    return "\n".join(p for p in parts if p)


def _comparison(spec: str, scale: int, group: list[BenchResult], out: Path) -> Path:
    import matplotlib.pyplot as plt  # matplotlib is heavy: imported only when figures are drawn

    first = group[0]
    bench_set = resolve_data(spec, limit=first.images)
    samples = list(bench_set.samples(scale))
    bicubic = next((r for r in group if r.method == f"bicubic-x{scale}"), None)
    columns: list[tuple[str, list[torch.Tensor], BenchResult | None]] = []
    hr_images = [(s.hr * 255).round().to(torch.uint8) for s in samples]
    columns.append(("HR (ground truth)", hr_images, None))
    if bicubic is not None:
        columns.append((bicubic.method, list(bicubic.sr_images), bicubic))
    learned = [(r.method, list(r.sr_images), r) for r in group if r is not bicubic]
    columns += learned
    if bicubic is not None and learned:
        crops = pick_gain_crops(hr_images, bicubic.sr_images, [images for _, images, _ in learned])
        criterion = "where the learned methods gain most over bicubic"
    else:
        crops = [pick_crop([images for _, images, _ in columns])]
        criterion = "where the methods differ most"
    figure, axes = plt.subplots(
        len(crops), len(columns), figsize=(2.3 * len(columns), 2.9 * len(crops) + 0.5), squeeze=False
    )
    for row, (index, top, left, side) in zip(axes, crops, strict=True):
        for axis, (title, images, result) in zip(row, columns, strict=True):
            crop = images[index][:, top : top + side, left : left + side]
            axis.imshow(crop.permute(1, 2, 0).numpy(), interpolation="nearest")
            axis.set_title(title, fontsize=9)
            axis.set_xlabel(_caption(result, index), fontsize=8)
            axis.set_xticks([])
            axis.set_yticks([])
        row[0].set_ylabel(f"{samples[index].name}\n{side}×{side} at ({left}, {top})", fontsize=8)
    figure.suptitle(f"{first.dataset} ×{scale}: crops {criterion}", fontsize=10)
    figure.tight_layout()
    path = out / f"comparison-{first.dataset}-x{scale}.png"
    _save(figure, path)
    return path


def _stage_figure(result: BenchResult):  # -> matplotlib.figure.Figure
    """One row: each node's output on ``result.stage_source``, in graph order."""
    import matplotlib.pyplot as plt  # matplotlib is heavy: imported only when figures are drawn

    stages = result.stages
    figure, axes = plt.subplots(1, len(stages), figsize=(2.7 * len(stages), 3.4), squeeze=False)
    for axis, stage in zip(axes[0], stages, strict=True):
        axis.imshow(stage.image.permute(1, 2, 0).numpy(), interpolation="nearest")
        axis.set_title(textwrap.fill(stage.label, STAGE_TITLE_WIDTH), fontsize=9)
        height, width = stage.image.shape[-2:]
        shown = "" if stage.channels == 3 else f", {stage.channels} channels"
        axis.set_xlabel(f"{width}×{height}{shown}", fontsize=8)
        axis.set_xticks([])
        axis.set_yticks([])
    weights = "" if result.trained else " (untrained weights)"
    figure.suptitle(
        f"{result.method} ×{result.scale}{weights} on {result.stage_source} ({result.dataset}): "
        "every node's output in graph order",
        fontsize=10,
    )
    figure.tight_layout()
    return figure


def _stage_strip(result: BenchResult, out: Path) -> Path:
    path = out / f"stages-{result.dataset}-{_file_part(result.method)}.png"
    _save(_stage_figure(result), path)
    return path


def _file_part(label: str) -> str:
    """``label`` as part of a file name (a method's label may be a user's free text)."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", label).strip("._") or "method"


def _speed_chart(dataset: str, group: list[BenchResult], out: Path) -> Path:
    import matplotlib.pyplot as plt  # matplotlib is heavy: imported only when figures are drawn

    figure, axis = plt.subplots(figsize=(6.0, 4.0))
    largest = max((r.parameters for r in group), default=0) or 1
    markers = "os^Dvp<>h*"
    for number, result in enumerate(group):
        size = 30 + 600 * math.sqrt(result.parameters / largest)
        params = f"{result.parameters / 1e6:.2f} M params" if result.parameters else "no parameters"
        axis.scatter(
            [max(result.ms_per_image, 1e-3)],
            [result.psnr],
            s=size,
            alpha=0.6,
            marker=markers[number % len(markers)],
            label=f"{result.method} ({params})",
        )
    times = [max(r.ms_per_image, 1e-3) for r in group]
    logarithmic = max(times) / min(times) > 10
    if logarithmic:
        from matplotlib.ticker import FormatStrFormatter, NullFormatter  # heavy: only when drawing

        axis.set_xscale("log")
        axis.xaxis.set_major_formatter(FormatStrFormatter("%g"))
        axis.xaxis.set_minor_formatter(NullFormatter())
    axis.margins(x=0.15, y=0.15)
    legend = axis.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0)
    for handle in legend.legend_handles:  # equal legend markers: the area is explained in the title
        handle.set_sizes([40])
    axis.set_xlabel("ms / image (median" + (", log scale)" if logarithmic else ")"))
    axis.set_ylabel(f"PSNR (dB, {group[0].protocol.y} Y)")
    axis.set_title(f"{dataset}: quality against speed (marker area ~ parameters)", fontsize=10)
    axis.grid(True, which="both", alpha=0.3)
    figure.tight_layout()
    path = out / f"speed-{dataset}.png"
    _save(figure, path)
    return path


def _save(figure, path: Path) -> None:
    import matplotlib.pyplot as plt  # matplotlib is heavy: imported only when figures are drawn

    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        atomic_write(path, lambda handle: figure.savefig(handle, format="png", dpi=110, bbox_inches="tight"))
    finally:
        plt.close(figure)
