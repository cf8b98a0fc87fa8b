"""The benchmark's figures (matplotlib, Agg backend): comparison grids and quality against speed.

* ``comparison-{set}-x{s}.png``: like the Stage-GAN paper's Fig. 10/12, one row of crops: HR |
  bicubic | each method at scale ``s``, with the image's PSNR/SSIM/GSM under each crop. The crop is
  the window (of the image) where the methods' outputs differ most (largest mean per-pixel
  standard deviation of luma across methods).
* ``speed-{set}.png``: PSNR against ms/image (log scale when the times span more than 10×), marker
  area proportional to parameters.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import torch
import torch.nn.functional as F

from .._io.atomic import atomic_write
from .data import resolve_data
from .runner import BenchResult

__all__ = ["pick_crop", "write_figures"]

CROP_SIDE = 96
"""Side of the comparison crops in HR pixels (smaller images use their whole side)."""


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
        stack = torch.stack([method[index].float() for method in images])  # (M, 3, H, W)
        luma = (stack * torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)).sum(1)
        spread = luma.std(0, unbiased=False)
        h, w = spread.shape
        crop = min(side, h, w)
        stride = max(1, crop // 8)
        pooled = F.avg_pool2d(spread[None, None], crop, stride=stride)[0, 0]
        value, flat = pooled.flatten().max(0)
        top, left = divmod(int(flat), pooled.shape[1])
        if float(value) > best[0]:
            best = (float(value), index, top * stride, left * stride, crop)
    return best[1], best[2], best[3], best[4]


def write_figures(results: Sequence[BenchResult], out: Path) -> list[Path]:
    """Write the comparison grids (for results holding ``sr_images``) and the speed charts.

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
    columns += [(r.method, list(r.sr_images), r) for r in group if r is not bicubic]
    index, top, left, side = pick_crop([images for _, images, _ in columns])
    figure, axes = plt.subplots(1, len(columns), figsize=(2.4 * len(columns), 3.6), squeeze=False)
    for axis, (title, images, result) in zip(axes[0], columns, strict=True):
        crop = images[index][:, top : top + side, left : left + side]
        axis.imshow(crop.permute(1, 2, 0).numpy(), interpolation="nearest")
        axis.set_title(title, fontsize=9)
        axis.set_xlabel(_caption(result, index), fontsize=8)
        axis.set_xticks([])
        axis.set_yticks([])
    figure.suptitle(
        f"{first.dataset} ×{scale}: {samples[index].name}, crop {side}×{side} at ({left}, {top})", fontsize=10
    )
    figure.tight_layout()
    path = out / f"comparison-{first.dataset}-x{scale}.png"
    _save(figure, path)
    return path


def _speed_chart(dataset: str, group: list[BenchResult], out: Path) -> Path:
    import matplotlib.pyplot as plt  # matplotlib is heavy: imported only when figures are drawn

    figure, axis = plt.subplots(figsize=(6.0, 4.0))
    largest = max((r.parameters for r in group), default=0) or 1
    for result in group:
        size = 30 + 600 * math.sqrt(result.parameters / largest)
        axis.scatter([max(result.ms_per_image, 1e-3)], [result.psnr], s=size, alpha=0.6)
        params = f"{result.parameters / 1e6:.2f} M params" if result.parameters else "no parameters"
        axis.annotate(
            f"{result.method} ({params})",
            (max(result.ms_per_image, 1e-3), result.psnr),
            textcoords="offset points",
            xytext=(6, 6),
            fontsize=8,
        )
    times = [max(r.ms_per_image, 1e-3) for r in group]
    logarithmic = max(times) / min(times) > 10
    if logarithmic:
        from matplotlib.ticker import FormatStrFormatter, NullFormatter  # heavy: only when drawing

        axis.set_xscale("log")
        axis.xaxis.set_major_formatter(FormatStrFormatter("%g"))
        axis.xaxis.set_minor_formatter(NullFormatter())
    axis.margins(x=0.35, y=0.15)  # room for the labels
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
