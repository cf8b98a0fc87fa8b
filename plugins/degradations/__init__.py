"""Built-in plugin ``degradations``: seeded, batched real-world degradations on kornia ops.

Registers ``kornia-bicubic`` (kornia's antialiased bicubic, not MATLAB's), the random steps
``blur``, ``sinc``, ``resize``, ``noise``, ``gaussian-noise``, ``poisson-noise`` and ``jpeg``, the
``chain`` that composes registered degradations, and the ``realesrgan`` preset. Random steps take
``generator=`` at call time: ``deg(hr, generator=torch.Generator().manual_seed(0))``. Factories are
referenced lazily, so importing this module imports no torch code.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import srzoo
from srzoo.component_info import resize_radius, resize_upscale

_PKG = "srzoo_plugins.degradations"
_LICENSE = "MIT (srzoo's implementation)"
_REAL_ESRGAN = (
    "X. Wang, L. Xie, C. Dong, Y. Shan, Real-ESRGAN: Training Real-World Blind Super-Resolution with "
    "Pure Synthetic Data, ICCVW 2021"
)
_STEPS = {
    "blur": (
        "blur.RandomBlur",
        "random per-image blur: iso/aniso (generalised, plateau) Gaussian kernels or sinc, random odd size",
    ),
    "sinc": ("blur.RandomSinc", "random per-image sinc (ringing) filter, random cutoff and size"),
    "resize": (
        "resize.RandomResize",
        "shrink by scale, then a random ratio per batch, random mode per image",
    ),
    "noise": ("noise.RandomNoise", "random per-image Gaussian or Poisson noise, colour or gray, clipped"),
    "gaussian-noise": ("noise.gaussian", "random per-image Gaussian noise (sigma in 8-bit levels), clipped"),
    "poisson-noise": ("noise.poisson", "random per-image Poisson (shot) noise, clipped"),
    "jpeg": ("jpeg.RandomJPEG", "JPEG with a random quality per image (kornia's differentiable codec)"),
}


def _kernel_radius(args: Mapping[str, Any]) -> int:
    size = args.get("kernel_size", (7, 21))
    return int(max(size) if isinstance(size, (list, tuple)) else size) // 2


def _kornia_bicubic_radius(args: Mapping[str, Any]) -> int:
    # kornia's antialiasing Gaussian (sigma (s - 1) / 2, truncated at 2 sigma) comes before the cubic
    scale = float(args["scale"])
    blur = math.ceil(scale - 1) if args.get("direction", "down") == "down" else 0
    return resize_radius({**args, "direction": args.get("direction", "down")}, support=2.0) + blur


# size-keeping steps: (receptive field radius in input pixels); random resizes have no fixed one
_STEP_RADIUS: dict[str, Any] = {
    "blur": _kernel_radius,
    "sinc": _kernel_radius,
    "resize": None,
    "noise": 0,
    "gaussian-noise": 0,
    "poisson-noise": 0,
    "jpeg": 15,  # a 16×16 MCU: 8×8 blocks with 2× subsampled chroma
}


def _down(args: Mapping[str, Any]) -> float:
    return 1.0 / float(args.get("scale", 1) or 1)


@srzoo.hookimpl
def srzoo_register_degradations(register: srzoo.hookspecs.Register) -> None:
    register(
        "kornia-bicubic",
        f"{_PKG}.kornia_bicubic:KorniaBicubic",
        description="kornia.geometry.transform.resize(bicubic, antialias=True); Gaussian prefilter, not MATLAB-exact",
        license="Apache-2.0 (kornia)",
        upscale=lambda args: resize_upscale({"direction": "down", **args}),
        receptive_field=_kornia_bicubic_radius,
        out_channels=srzoo.SAME_CHANNELS,
    )
    for name, (target, description) in _STEPS.items():
        module, attribute = target.split(".")
        register(
            name,
            f"{_PKG}.{module}:{attribute}",
            description=description,
            paper=_REAL_ESRGAN,
            license=_LICENSE,
            upscale=_down if name == "resize" else 1.0,
            receptive_field=_STEP_RADIUS[name],
            out_channels=srzoo.SAME_CHANNELS,
        )
    register(
        "chain",
        f"{_PKG}.chain:Chain",
        description="compose registered degradations: steps=[{name=..., ...}, ...]; seeded, batched",
        license=_LICENSE,
        upscale=_down,
        receptive_field=None,  # depends on the steps and on the random draws
        out_channels=srzoo.SAME_CHANNELS,
    )
    register(
        "realesrgan",
        f"{_PKG}.realesrgan:RealESRGAN",
        description="Real-ESRGAN's second-order degradation with its published ranges, 8-bit output",
        paper=_REAL_ESRGAN,
        license=_LICENSE,
        upscale=_down,
        receptive_field=None,  # random resizes in the middle of the chain
        out_channels=srzoo.SAME_CHANNELS,
    )
