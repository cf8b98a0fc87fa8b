"""Built-in plugin ``metrics``: PSNR, SSIM and GSM under the SR literature's protocol.

Registers the metrics ``psnr``, ``ssim`` and ``gsm``. Each factory takes ``scale`` plus the protocol
options (``channel``, ``shave``, ``round_input``, ``round_y``) and returns a module mapping
``(sr, hr)`` float RGB ``[0, 1]`` to ``(N,)`` scores. The factories are referenced lazily, so
importing this module imports no torch code.
"""

from __future__ import annotations

import srzoo

_PROTOCOL = "8-bit inputs, MATLAB rgb2ycbcr Y (rounded), border shaved by the scale"


@srzoo.hookimpl
def srzoo_register_metrics(register: srzoo.hookspecs.Register) -> None:
    register(
        "psnr",
        "srzoo_plugins.metrics.psnr:PSNR",
        description=f"Peak signal-to-noise ratio in dB, peak 255; {_PROTOCOL}",
        paper="Standard SR evaluation (e.g. Dong et al., SRCNN, ECCV 2014)",
        license="BSD-3-Clause",
        higher_is_better=True,
    )
    register(
        "ssim",
        "srzoo_plugins.metrics.ssim:SSIM",
        description=f"SSIM, 11x11 Gaussian window (sigma 1.5), K1 0.01, K2 0.03, L 255, valid filtering; {_PROTOCOL}",
        paper="Z. Wang, A. C. Bovik, H. R. Sheikh, E. P. Simoncelli, Image quality assessment: from error "
        "visibility to structural similarity, IEEE TIP 13(4), 2004",
        license="BSD-3-Clause",
        higher_is_better=True,
    )
    register(
        "gsm",
        "srzoo_plugins.metrics.gsm:GSM",
        description=f"Gradient similarity measure (C=200, weight 0.1, 5x5 directional operators); {_PROTOCOL}",
        paper="A. Liu, W. Lin, M. Narwaria, Image quality assessment based on gradient similarity, "
        "IEEE TIP 21(4), 2012",
        license="BSD-3-Clause",
        higher_is_better=True,
    )
