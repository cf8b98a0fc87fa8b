"""Built-in plugin ``degradations``: seeded, batched real-world degradations on kornia ops.

Registers ``kornia-bicubic`` (kornia's antialiased bicubic, not MATLAB's), the random steps
``blur``, ``sinc``, ``resize``, ``noise``, ``gaussian-noise``, ``poisson-noise`` and ``jpeg``, the
``chain`` that composes registered degradations, and the ``realesrgan`` preset. Random steps take
``generator=`` at call time: ``deg(hr, generator=torch.Generator().manual_seed(0))``. Factories are
referenced lazily, so importing this module imports no torch code.
"""

from __future__ import annotations

import srzoo

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


@srzoo.hookimpl
def srzoo_register_degradations(register: srzoo.hookspecs.Register) -> None:
    register(
        "kornia-bicubic",
        f"{_PKG}.kornia_bicubic:KorniaBicubic",
        description="kornia.geometry.transform.resize(bicubic, antialias=True); Gaussian prefilter, not MATLAB-exact",
        license="Apache-2.0 (kornia)",
    )
    for name, (target, description) in _STEPS.items():
        module, attribute = target.split(".")
        register(
            name,
            f"{_PKG}.{module}:{attribute}",
            description=description,
            paper=_REAL_ESRGAN,
            license=_LICENSE,
        )
    register(
        "chain",
        f"{_PKG}.chain:Chain",
        description="compose registered degradations: steps=[{name=..., ...}, ...]; seeded, batched",
        license=_LICENSE,
    )
    register(
        "realesrgan",
        f"{_PKG}.realesrgan:RealESRGAN",
        description="Real-ESRGAN's second-order degradation with its published ranges, 8-bit output",
        paper=_REAL_ESRGAN,
        license=_LICENSE,
    )
