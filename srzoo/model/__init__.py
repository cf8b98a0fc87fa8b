"""The model layer: a recipe's graph checked against component metadata, built into an ``SRModel``.

* `graph`: channels, resolutions and receptive field derived from the recipe and the registry;
* `srmodel`: [`SRModel`][srzoo.SRModel], the ``nn.Module`` with the ``[0, 1]`` RGB edge;
* `tiling`: exact tile-by-tile upscaling within the receptive field;
* `weights`: ``.safetensors`` loading and saving, converters, sha256;
* `imageops`, `profile`: value-range mapping and padding; parameter and FLOP counts.
"""

from __future__ import annotations

from .srmodel import SRModel

__all__ = ["SRModel"]
