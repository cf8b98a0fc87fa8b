"""Upscaling image files in bounded memory (defined in `srzoo.inference.upscaling`); kept so that
``srzoo.upscaling`` imports still work."""

from __future__ import annotations

from .inference.upscaling import MAX_TILE, TILE_BYTES, auto_tile, memory_budget, read_alpha, upscale_to_file

__all__ = ["MAX_TILE", "TILE_BYTES", "auto_tile", "memory_budget", "read_alpha", "upscale_to_file"]
