"""``torchrun`` support for training (defined in `srzoo.runtime.distributed`, shared with the benchmark)."""

from __future__ import annotations

from ..runtime.distributed import Distributed

__all__ = ["Distributed"]
