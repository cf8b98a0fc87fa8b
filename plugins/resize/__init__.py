"""Built-in plugin ``resize``: torch's own resizers as degradations.

These are *not* MATLAB's ``imresize`` (torch's bicubic uses Keys a = -0.75 and no antialiasing when
upsampling); they are registered under their own names for comparison and speed. The literature's
MATLAB-exact resizer is the ``bicubic`` degradation.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any

import srzoo
from srzoo.component_info import resize_radius, resize_upscale

_LICENSE = "BSD-3-Clause (PyTorch)"
_SUPPORT = {"bicubic": 2.0, "bilinear": 1.0, "nearest": 0.0}
"""How far each mode's kernel reaches, in input pixels (before antialiasing widens it)."""


@srzoo.hookimpl
def srzoo_register_degradations(register: srzoo.hookspecs.Register) -> None:
    for mode in ("bicubic", "bilinear", "nearest"):
        register(
            f"torch-{mode}",
            f"srzoo_plugins.resize.torch_resize:torch_{mode}",
            description=f"torch.nn.functional.interpolate(mode={mode!r}); not MATLAB-exact",
            license=_LICENSE,
            upscale=resize_upscale,
            receptive_field=partial(_radius, mode),
            out_channels=srzoo.SAME_CHANNELS,
        )


def _radius(mode: str, args: Mapping[str, Any]) -> int:
    if mode == "nearest":  # copies one input pixel under the output pixel's footprint
        return 0 if float(args["scale"]).is_integer() else 1
    return resize_radius(args, _SUPPORT[mode])
