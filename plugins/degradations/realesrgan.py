"""``realesrgan``: Real-ESRGAN's second-order degradation (Wang et al., ICCVW 2021) as one batched preset.

Two rounds of blur → random resize → noise → JPEG, then, in random order per image, "resize to the
output size + sinc filter" and JPEG, then 8-bit quantisation, with the ranges of Real-ESRGAN's
published training options (``options/train_realesrgan_x4plus.yml`` in ``xinntao/Real-ESRGAN``),
collected in ``PUBLISHED``. Every image draws its own parameters; the random resize ratios are drawn
per batch (a batch is one tensor; Real-ESRGAN also draws them per batch).
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

from srzoo.color import quantize_8bit
from srzoo.errors import InputError

from . import _params
from .blur import RandomBlur, RandomSinc
from .jpeg import RandomJPEG
from .noise import RandomNoise
from .resize import RandomResize

_KERNELS = {
    "iso": 0.45, "aniso": 0.25, "generalized_iso": 0.12, "generalized_aniso": 0.03,
    "plateau_iso": 0.12, "plateau_aniso": 0.03,
}  # fmt: skip
_MODES = ("area", "bilinear", "bicubic")
_SINC_CUTOFF = {"sinc_cutoff_small": (math.pi / 3, math.pi), "sinc_cutoff_large": (math.pi / 5, math.pi)}

PUBLISHED: dict[str, dict[str, Any]] = {
    "blur1": {
        "kernel_size": (7, 21), "sigma": (0.2, 3.0), "kernels": _KERNELS, "beta_generalized": (0.5, 4.0),
        "beta_plateau": (1.0, 2.0), "sinc_prob": 0.1, "p": 1.0, **_SINC_CUTOFF,
    },
    "resize1": {"range": (0.15, 1.5), "probabilities": (0.2, 0.7, 0.1), "modes": _MODES},
    "noise1": {"gaussian_prob": 0.5, "sigma": (1.0, 30.0), "poisson_strength": (0.05, 3.0), "gray_prob": 0.4},
    "jpeg1": {"quality": (30.0, 95.0)},
    "blur2": {
        "kernel_size": (7, 21), "sigma": (0.2, 1.5), "kernels": _KERNELS, "beta_generalized": (0.5, 4.0),
        "beta_plateau": (1.0, 2.0), "sinc_prob": 0.1, "p": 0.8, **_SINC_CUTOFF,
    },
    "resize2": {"range": (0.3, 1.2), "probabilities": (0.3, 0.4, 0.3), "modes": _MODES},
    "noise2": {"gaussian_prob": 0.5, "sigma": (1.0, 25.0), "poisson_strength": (0.05, 2.5), "gray_prob": 0.4},
    "jpeg2": {"quality": (30.0, 95.0)},
    "final_resize": {"modes": _MODES},
    "final_sinc": {"kernel_size": (7, 21), "cutoff": (math.pi / 3, math.pi), "p": 0.8},
}  # fmt: skip
"""Real-ESRGAN's published degradation settings, by step (the arguments of each step's module)."""

FINAL_SINC_FIRST_PROB = 0.5
"""Probability of "resize + sinc, then JPEG" (else "JPEG, then resize + sinc") in the last stage."""


class RealESRGAN(nn.Module):
    """Real-ESRGAN's second-order degradation at ``scale``.

    Per call: stage 1 ``blur1 → resize1 → noise1 → jpeg1`` at the input size (``resize1``'s ratio
    relative to ``H``); stage 2 ``blur2 → resize2 → noise2`` (``resize2``'s ratio relative to
    ``H / scale``); then per image, with probability 1/2, ``final_resize → final_sinc → jpeg2``, else
    ``jpeg2 → final_resize → final_sinc``, where ``final_resize`` goes to exactly
    ``ceil(H / scale) × ceil(W / scale)``; finally clamp to ``[0, 1]`` and round to 8 bits (Real-ESRGAN's
    ``clamp(round(255 x), 0, 255) / 255``).

    Differences from Real-ESRGAN's training code, by design: the HR is degraded as given (Real-ESRGAN
    degrades its unsharp-masked GT); the final order, the resize modes and the second blur's
    probability are drawn per image rather than per batch; sizes use ``ceil`` (the degradation
    contract) where Real-ESRGAN floors.

    Args:
        scale: the shrink factor (> 0; Real-ESRGAN trains at 4).
        shuffle: BSRGAN-style random order: each stage's four steps run in a permutation drawn from
            the generator per call (the last stage keeps its order).
        quantize: round the output to 8 bits (Real-ESRGAN does; ``False`` keeps float values).

    Shape:
        ``(N, C, H, W) -> (N, C, ceil(H / scale), ceil(W / scale))``, ``C`` 1 or 3, input in
        ``[0, 1]``, output in ``[0, 1]`` (multiples of 1/255 when ``quantize``).

    Examples:
        >>> deg = srzoo.create("degradation", "realesrgan", scale=4)
        >>> lr = deg(torch.rand(2, 3, 64, 64), generator=torch.Generator().manual_seed(0))
        >>> lr.shape, torch.equal(lr, (lr * 255).round() / 255)
        (torch.Size([2, 3, 16, 16]), True)
    """

    def __init__(self, scale: float = 4, shuffle: bool = False, quantize: bool = True) -> None:
        super().__init__()
        if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not scale > 0:
            raise InputError(f"scale must be a positive number, got {scale!r}")
        self.scale = float(scale)
        self.shuffle = bool(shuffle)
        self.quantize = bool(quantize)
        p = PUBLISHED
        self.blur1, self.blur2 = RandomBlur(**p["blur1"]), RandomBlur(**p["blur2"])
        self.resize1, self.resize2 = RandomResize(**p["resize1"]), RandomResize(**p["resize2"])
        self.noise1, self.noise2 = RandomNoise(**p["noise1"]), RandomNoise(**p["noise2"])
        self.jpeg1, self.jpeg2 = RandomJPEG(**p["jpeg1"]), RandomJPEG(**p["jpeg2"])
        self.final_resize = RandomResize(**p["final_resize"])
        self.final_sinc = RandomSinc(**p["final_sinc"])

    def output_size(self, h: int, w: int) -> tuple[int, int]:
        """``(ceil(h / scale), ceil(w / scale))``."""
        return math.ceil(h / self.scale), math.ceil(w / self.scale)

    def _stage(
        self,
        x: torch.Tensor,
        steps: list[nn.Module],
        size: tuple[int, int],
        generator: torch.Generator | None,
    ) -> torch.Tensor:
        if self.shuffle:
            device = generator.device if generator is not None else x.device
            steps = [
                steps[i] for i in torch.randperm(len(steps), generator=generator, device=device).tolist()
            ]
        for step in steps:
            x = step(x, generator, size=size) if isinstance(step, RandomResize) else step(x, generator)
        return x

    def forward(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        x = _params.check_batch(x, "x")
        generator = _params.check_generator(generator)
        if x.shape[1] not in (1, 3):
            raise InputError(f"realesrgan needs 1 (gray) or 3 (RGB) channels, got shape {tuple(x.shape)}")
        h, w = x.shape[-2:]
        target = self.output_size(h, w)
        x = self._stage(x, [self.blur1, self.resize1, self.noise1, self.jpeg1], (h, w), generator)
        x = self._stage(x, [self.blur2, self.resize2, self.noise2], target, generator)
        sinc_first = _params.bernoulli(x.shape[0], FINAL_SINC_FIRST_PROB, generator, x)
        a = self.jpeg2(self.final_sinc(self.final_resize(x, generator, size=target), generator), generator)
        b = self.final_sinc(self.final_resize(self.jpeg2(x, generator), generator, size=target), generator)
        x = torch.where(sinc_first.view(-1, 1, 1, 1), a, b).clamp(0.0, 1.0)
        return quantize_8bit(x, ties="even") if self.quantize else x

    def extra_repr(self) -> str:
        return f"scale={self.scale:g}, shuffle={self.shuffle}, quantize={self.quantize}"
