"""``srzoo bench``'s Python API: compare SR methods on benchmark sets under one recorded protocol.

[`bench`][srzoo.bench.bench] runs methods × sets, each method at its own scale, and returns one
[`BenchResult`][srzoo.bench.BenchResult] per pair: mean and per-image PSNR/SSIM/GSM, speed,
parameters, GFLOPs, peak memory, the [`ProtocolCard`][srzoo.bench.ProtocolCard] and the gaps to
published values. ``srzoo.bench.report`` formats them (table, JSON, CSV,
Markdown) and ``srzoo.bench.figures`` draws the comparison figures and stage strips.
"""

from __future__ import annotations

import sys
import types
from typing import Any

from .data import BenchSet, Sample, resolve_data
from .protocol import LRSpec, ProtocolCard
from .runner import METRICS, BenchResult, ImageScore, PublishedGap, bench
from .stages import StageImage

__all__ = [
    "METRICS",
    "BenchResult",
    "BenchSet",
    "ImageScore",
    "LRSpec",
    "ProtocolCard",
    "PublishedGap",
    "Sample",
    "StageImage",
    "bench",
    "resolve_data",
]


class _CallableModule(types.ModuleType):
    """``srzoo.bench`` is this package and, called, [`bench`][srzoo.bench.bench] itself."""

    def __call__(self, *args: Any, **kwargs: Any) -> list[BenchResult]:
        return bench(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
