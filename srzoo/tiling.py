"""Exact tiling (defined in `srzoo.model.tiling`); kept so that ``srzoo.tiling`` imports still work."""

from __future__ import annotations

from .model.tiling import check_tile, exact_bands, plan_axis, receptive_field

__all__ = ["check_tile", "exact_bands", "plan_axis", "receptive_field"]
