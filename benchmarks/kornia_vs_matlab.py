"""How far ``kornia-bicubic`` (and torch's antialiased bicubic) are from MATLAB's ``imresize`` LR images.

Reads Set5 (``../shared/data/set5``: HR and MATLAB's ``LR_bicubic/X{2,3,4,8}``), crops each HR to a
multiple of the scale, shrinks it, rounds to 8 bits and prints the PSNR (RGB, whole image, dB) to the
MATLAB file: mean over the five images and the worst image, per scale. ``bicubic`` is the exact
reference (its PSNR is infinite).

    .venv/bin/python benchmarks/kornia_vs_matlab.py [--data ../shared/data]
"""

from __future__ import annotations

import argparse
import math
import os
from pathlib import Path

import numpy as np
import torch
from PIL import Image

import srzoo

NAMES = ("baby", "bird", "butterfly", "head", "woman")
METHODS = ("kornia-bicubic", "torch-bicubic", "bicubic")


def _load(path: Path) -> torch.Tensor:
    return (
        torch.from_numpy(np.asarray(Image.open(path).convert("RGB")).copy()).permute(2, 0, 1)[None].double()
    )


def psnr_8bit(a: torch.Tensor, b: torch.Tensor) -> float:
    """PSNR in dB between two 0..255 tensors (``inf`` when equal)."""
    mse = ((a - b) ** 2).mean().item()
    return math.inf if mse == 0 else 10 * math.log10(255.0**2 / mse)


def gaps(data: Path, scale: int) -> dict[str, list[float]]:
    """PSNR of each method's rounded LR against MATLAB's, per Set5 image."""
    out: dict[str, list[float]] = {m: [] for m in METHODS}
    for name in NAMES:
        hr = _load(data / "set5" / "HR" / f"{name}.png")
        hr = hr[..., : hr.shape[-2] // scale * scale, : hr.shape[-1] // scale * scale] / 255.0
        matlab = _load(data / "set5" / "LR_bicubic" / f"X{scale}" / f"{name}x{scale}.png")
        for method in METHODS:
            kwargs = {"rounding": "per-pass" if scale != 8 else "final"} if method == "bicubic" else {}
            lr = srzoo.create("degradation", method, scale=scale, **kwargs)(hr)
            out[method].append(psnr_8bit((lr * 255).round().clamp(0, 255), matlab))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    shared = Path(os.environ.get("SRZOO_SHARED", Path(__file__).resolve().parents[2] / "shared"))
    parser.add_argument("--data", type=Path, default=shared / "data", help="the shared data folder")
    args = parser.parse_args()
    print("| scale | " + " | ".join(f"`{m}` mean (worst)" for m in METHODS) + " |")
    print("| --- |" + " --- |" * len(METHODS))
    for scale in (2, 3, 4, 8):
        result = gaps(args.data, scale)
        cells = [f"{np.mean(v):.2f} ({min(v):.2f}) dB" for v in result.values()]
        print(f"| ×{scale} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
