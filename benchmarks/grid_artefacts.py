"""Measure the periodic grid that transposed convolutions leave in SR outputs ("checkerboard").

A stride-2 transposed convolution whose kernel does not divide evenly paints a pattern of period
2 (and 4, 8, ... when they are stacked, as in Stage-GAN's U-Nets and refiner). In the spectrum of
the output's luma the pattern is a ridge on the frequency lines of those periods. For each period
``p`` this script reports the **ridge ratio**: the mean spectral magnitude on the lines ``N/p``
(rows and columns) over the mean on the lines 3 bins either side. Natural photos and bicubic
upscales sit near 1; a visible grid raises it (the HR photos give the reference).

    python benchmarks/grid_artefacts.py --data facades/:test --every 5 \\
        --method stagegan-x8-small=runs/stagegan-x8-small/model.safetensors --method lapsrn-x8

A method is ``RECIPE`` (shipped weights) or ``RECIPE=WEIGHTS``. Output: a Markdown table, one row
per method plus ``hr`` and ``bicubic``, one column per period (means over the images).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import torch
from srzoo_plugins.datasets.degrade import make_lr

import srzoo
from srzoo.bench import resolve_data
from srzoo.color import rgb_to_y

PERIODS = (2, 4, 8)
NEIGHBOUR_OFFSET = 3


def ridge_ratio(luma: torch.Tensor, period: int, offset: int = NEIGHBOUR_OFFSET) -> float:
    """Spectral magnitude on the period-``period`` lines over that ``offset`` bins away.

    Args:
        luma: ``(H, W)`` float image; ``H`` and ``W`` multiples of ``period`` and at least
            ``period * (offset + 1)``.
        period: the grid period in pixels (2 for a single stride-2 transposed convolution).
        offset: distance in frequency bins of the reference lines.

    Returns:
        The ratio, about 1 without a grid at that period.
    """
    height, width = luma.shape
    if height % period or width % period:
        raise ValueError(f"image {height}x{width} is not a multiple of the period {period}")
    spectrum = torch.fft.fft2(luma - luma.mean()).abs()
    row, column = height // period, width // period
    on = spectrum[row, :].mean() + spectrum[:, column].mean()
    off = sum(spectrum[row + d, :].mean() + spectrum[:, column + d].mean() for d in (-offset, offset)) / 2
    return float(on / off)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--method", action="append", required=True, help="RECIPE or RECIPE=WEIGHTS, repeatable"
    )
    parser.add_argument("--data", default="charts", help="a srzoo bench --data spec (default: charts)")
    parser.add_argument("--every", type=int, default=1, help="use every N-th image (default 1)")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    models = {}
    for spec in args.method:
        name, _, weights = spec.partition("=")
        model = srzoo.build(name, weights=weights) if weights else srzoo.build(name, pretrained=True)
        models[name] = model.eval()
    scales = {model.scale for model in models.values()}
    if len(scales) != 1:
        raise SystemExit(
            f"error: the methods have different scales {sorted(scales)}; compare one scale at a time"
        )
    [scale] = scales
    bicubic = srzoo.build(f"bicubic-x{scale}")
    ratios: dict[str, list[list[float]]] = {name: [] for name in ("hr", "bicubic", *models)}
    samples = list(resolve_data(args.data).samples(scale))[:: args.every]
    with torch.inference_mode():
        for sample in samples:
            lr = make_lr(sample.hr[None], "bicubic", scale)
            outputs = {"hr": sample.hr, "bicubic": bicubic(lr)[0].clamp(0, 1)}
            outputs.update({name: model(lr)[0].clamp(0, 1) for name, model in models.items()})
            for name, image in outputs.items():
                luma = rgb_to_y(image[None])[0, 0]  # the ratio ignores Y's scale and offset
                ratios[name].append([ridge_ratio(luma, p) for p in PERIODS])
    print(
        f"grid ridge ratio (spectral magnitude on the period-p lines over lines {NEIGHBOUR_OFFSET} bins away), "
    )
    print(f"{len(samples)} images of {args.data}, x{scale}; about 1 means no grid\n")
    print("| method | " + " | ".join(f"period {p}" for p in PERIODS) + " |")
    print("|---|" + "---:|" * len(PERIODS))
    for name, rows in ratios.items():
        means = [sum(column) / len(column) for column in zip(*rows)]
        print(f"| {name} | " + " | ".join(f"{m:.2f}" for m in means) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
