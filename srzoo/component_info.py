"""The metadata a plugin registers with a component (defined in `srzoo.registry.component_info`)."""

from __future__ import annotations

from .registry.component_info import (
    SAME_CHANNELS,
    ComponentInfo,
    DefaultWeights,
    Examples,
    PerArgs,
    resize_radius,
    resize_upscale,
)

__all__ = [
    "SAME_CHANNELS",
    "ComponentInfo",
    "DefaultWeights",
    "Examples",
    "PerArgs",
    "resize_radius",
    "resize_upscale",
]
