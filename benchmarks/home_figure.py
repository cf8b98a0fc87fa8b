"""The docs home page's picture: bicubic beside srzoo's shipped SRCNN, LapSRN and small Stage-GAN, ×8.

Runs ``srzoo bench`` on srzoo's own generated test charts (its default data) with the weights srzoo
ships and copies the comparison figure it writes (crops of three charts where the learned methods
gain most over bicubic, with each method's PSNR/SSIM/GSM) to ``docs/images/home-comparison-x8.png``,
stored with a 256-colour palette so that the docs stay small::

    python benchmarks/home_figure.py

which is the same as::

    srzoo bench --methods bicubic-x8,srcnn-x8,lapsrn-x8,stagegan-x8-small --out DIR
    cp DIR/comparison-charts-x8.png docs/images/home-comparison-x8.png
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from PIL import Image

from srzoo.cli import main

ROOT = Path(__file__).resolve().parents[1]
SCALE = 8
TARGET = ROOT / "docs" / "images" / f"home-comparison-x{SCALE}.png"
METHODS = f"bicubic-x{SCALE},srcnn-x{SCALE},lapsrn-x{SCALE},stagegan-x{SCALE}-small"
MAX_BYTES = 300 * 1024
"""The docs ship this file: keep it small."""


def make(target: Path = TARGET) -> Path:
    """Bench ``METHODS`` on the charts and copy their comparison figure, palette-coded, to ``target``."""
    with tempfile.TemporaryDirectory() as tmp:
        args = ["bench", "--methods", METHODS, "--out", tmp]  # --data: the charts
        if main(args) != 0:
            raise SystemExit(f"srzoo {' '.join(args)} failed")
        figure = Path(tmp) / f"comparison-charts-x{SCALE}.png"
        small = Path(tmp) / "palette.png"
        Image.open(figure).convert("RGB").quantize(colors=256).save(small, optimize=True)
        size = small.stat().st_size
        if size > MAX_BYTES:
            raise SystemExit(
                f"{figure.name} is {size} bytes with a palette, over the {MAX_BYTES} the docs allow"
            )
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(small, target)
    return target


if __name__ == "__main__":
    print(f"wrote {make().relative_to(ROOT)}", file=sys.stderr)
