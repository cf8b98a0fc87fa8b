"""Built-in plugin ``bicubic``: MATLAB ``imresize``-exact bicubic resizing (the literature's degradation).

Registers the degradation ``bicubic`` ([`srzoo_plugins.bicubic.imresize.bicubic`][]). The factory
is referenced lazily, so importing this module imports no torch code.
"""

from __future__ import annotations

import srzoo
from srzoo.component_info import resize_radius, resize_upscale

_PAPER = "R. Keys, Cubic convolution interpolation for digital image processing, IEEE TASSP 29(6), 1981"


@srzoo.hookimpl
def srzoo_register_degradations(register: srzoo.hookspecs.Register) -> None:
    register(
        "bicubic",
        "srzoo_plugins.bicubic.imresize:bicubic",
        description=(
            "MATLAB imresize(..., 'bicubic')-exact resize (Keys a=-0.5, antialiased when shrinking, "
            "symmetric borders); rounding='per-pass'|'final' reproduces MATLAB's uint8 results"
        ),
        paper=_PAPER,
        license="BSD-3-Clause",
        upscale=resize_upscale,
        receptive_field=lambda args: resize_radius(args, support=2.0),
        out_channels=srzoo.SAME_CHANNELS,
        supports_half=True,
    )
