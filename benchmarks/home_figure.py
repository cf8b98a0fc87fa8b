"""The docs home page's picture: bicubic beside srzoo's shipped SRCNN and LapSRN, ×4, on srzoo's charts.

Runs ``srzoo bench`` on srzoo's own generated test charts (its default data) with the weights srzoo
ships and copies the comparison figure it writes (crops of three charts where the learned methods
gain most over bicubic, with each method's PSNR/SSIM/GSM) to ``docs/images/home-comparison-x4.png``::

    python benchmarks/home_figure.py

which is the same as::

    srzoo bench --methods bicubic-x4,srcnn-x4,lapsrn-x4 --out DIR
    cp DIR/comparison-charts-x4.png docs/images/home-comparison-x4.png
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from srzoo.cli import main

ROOT = Path(__file__).resolve().parents[1]
TARGET = ROOT / "docs" / "images" / "home-comparison-x4.png"
METHODS = "bicubic-x4,srcnn-x4,lapsrn-x4"
MAX_BYTES = 300 * 1024
"""The docs ship this file: keep it small."""


def make(target: Path = TARGET) -> Path:
    """Bench ``METHODS`` on the charts and copy the ×4 comparison figure to ``target``."""
    with tempfile.TemporaryDirectory() as tmp:
        args = ["bench", "--methods", METHODS, "--out", tmp]  # --data: the charts
        if main(args) != 0:
            raise SystemExit(f"srzoo {' '.join(args)} failed")
        figure = Path(tmp) / "comparison-charts-x4.png"
        size = figure.stat().st_size
        if size > MAX_BYTES:
            raise SystemExit(f"{figure.name} is {size} bytes, over the {MAX_BYTES} the docs allow")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(figure, target)
    return target


if __name__ == "__main__":
    print(f"wrote {make().relative_to(ROOT)}", file=sys.stderr)
