"""The literature's scoring protocol: 8-bit rounding, Y channel, border shave (DESIGN §6).

Every metric module applies [`Protocol`][] to its ``(sr, hr)`` pair before scoring: both images
are checked, rounded to 8 bits (as saving a PNG would), converted to MATLAB's ``rgb2ycbcr`` luma (or
kept as RGB), shaved by ``shave`` pixels on every side, and returned as float64 in ``[0, 255]``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any, Literal

import torch

from srzoo._imageops import check_image_batch
from srzoo.errors import InputError

__all__ = ["Channel", "Protocol", "one_thread", "quantize_8bit", "rgb_to_y"]

Channel = Literal["y", "rgb"]

# MATLAB's rgb2ycbcr on uint8 images: imlincomb(T(1,1), R, T(1,2), G, T(1,3), B, 16) with T = origT / 255
_Y_WEIGHTS = (65.481 / 255.0, 128.553 / 255.0, 24.966 / 255.0)


def _round_(x: torch.Tensor) -> torch.Tensor:
    """Round ``x`` in place as MATLAB's casts to uint8 do: ``floor(x + 0.5)``.

    For ``x >= 0.5`` this is round-half-up exactly (an inexact ``x + 0.5`` never crosses an integer);
    below, it differs only for the largest doubles under 0.5, as MATLAB's ``im2uint8``
    (``(uint8)(255 x + 0.5)``) does too.
    """
    return x.add_(0.5).floor_()


def quantize_8bit(x: torch.Tensor) -> torch.Tensor:
    """Map ``[0, 1]`` to the integers ``0..255`` as MATLAB's ``im2uint8`` does: ``floor(255 x + 0.5)``, saturated.

    Args:
        x: float tensor, nominally in ``[0, 1]``.

    Returns:
        float64 tensor of integers in ``[0, 255]``, same shape.
    """
    return _round_(x.to(torch.float64, copy=True).mul_(255.0)).clamp_(0.0, 255.0)


def rgb_to_y(rgb255: torch.Tensor, round_y: bool = True) -> torch.Tensor:
    """ITU-R BT.601 luma as MATLAB's ``rgb2ycbcr``: ``Y = 16 + (65.481 R + 128.553 G + 24.966 B) / 255``.

    Evaluated as MATLAB does on uint8 images, ``(65.481/255) R + (128.553/255) G + (24.966/255) B + 16``
    in float64 in that order, so that the rare exact ties (e.g. RGB ``(0, 204, 68)``, Y = 125.5 in
    exact arithmetic, 125.49999999999999 in MATLAB's) round as in MATLAB.

    Args:
        rgb255: ``(N, 3, H, W)`` float64 RGB in ``[0, 255]``.
        round_y: round Y half away from zero to an integer, as ``rgb2ycbcr`` does on uint8 images
            (the convention behind the EDSR/VDSR-era tables); ``False`` keeps the unrounded Y of RCAN's
            scripts.

    Returns:
        ``(N, 1, H, W)`` float64 Y in ``[16, 235]``.
    """
    r, g, b = rgb255.unbind(dim=1)
    # separate multiplies and adds (no fused multiply-add) to round like MATLAB's imlincomb
    y = r * _Y_WEIGHTS[0]
    y += g * _Y_WEIGHTS[1]
    y += b * _Y_WEIGHTS[2]
    y += 16.0
    if round_y:
        y = _round_(y)
    return y.unsqueeze(1)


@contextmanager
def one_thread(device: torch.device) -> Iterator[None]:
    """Run a block of CPU tensor work with one intra-op thread, then restore torch's setting.

    Metric computations are chains of small, memory-bound operations: torch's thread pool gains
    little on them and, on a CPU shared with other processes, its barriers stall for scheduler time
    slices (SSIM on 16 images took seconds instead of ~40 ms on a busy 2-core machine). Does nothing
    for other devices. The setting is process-wide: other Python threads running torch meanwhile also
    run single-threaded.
    """
    threads = torch.get_num_threads()
    if device.type != "cpu" or threads == 1:
        yield
        return
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


@dataclass(frozen=True)
class Protocol:
    """How a pair of images is prepared before scoring.

    Attributes:
        scale: the SR factor; the default shave.
        channel: ``"y"`` (MATLAB luma) or ``"rgb"`` (all three channels).
        shave: pixels removed on every side before scoring; ``None`` means ``scale``.
        round_input: round both images to 8 bits first (``False`` scores the floats as given).
        round_y: round the luma to integers (see [`rgb_to_y`][]); ignored for ``"rgb"``.
    """

    scale: int
    channel: Channel = "y"
    shave: int | None = None
    round_input: bool = True
    round_y: bool = True

    def __post_init__(self) -> None:
        if isinstance(self.scale, bool) or not isinstance(self.scale, int) or self.scale < 1:
            raise InputError(f"scale must be a positive integer, got {self.scale!r}")
        if self.channel not in ("y", "rgb"):
            raise InputError(f"channel must be 'y' or 'rgb', got {self.channel!r}")
        if self.shave is not None and (
            isinstance(self.shave, bool) or not isinstance(self.shave, int) or self.shave < 0
        ):
            raise InputError(f"shave must be a non-negative integer or None (= scale), got {self.shave!r}")

    @property
    def border(self) -> int:
        """The shave actually applied."""
        return self.scale if self.shave is None else self.shave

    def describe(self) -> dict[str, Any]:
        """The protocol as a plain dict (recorded next to every benchmark result)."""
        return {**asdict(self), "shave": self.border}

    def prepare(self, sr: object, hr: object, min_size: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
        """Check, round, convert and shave a pair.

        Args:
            sr: ``(N, 3, H, W)`` float RGB in ``[0, 1]``, the image to score.
            hr: the reference, same shape.
            min_size: the smallest side the scorer accepts after shaving.

        Returns:
            ``(sr, hr)`` as ``(N, C, H - 2 shave, W - 2 shave)`` float64 in ``[0, 255]``, ``C`` 1 or 3.

        Raises:
            InputError: a non-tensor, non-float, non-RGB or empty input, a shape mismatch, or images
                too small for the shave and the scorer.
        """
        sr = check_image_batch(sr, "sr")
        hr = check_image_batch(hr, "hr")
        if sr.shape != hr.shape:
            raise InputError(
                f"sr and hr must have the same shape, got {tuple(sr.shape)} and {tuple(hr.shape)}; "
                "crop hr to a multiple of the scale and upscale to exactly that size"
            )
        if sr.device != hr.device:
            raise InputError(f"sr and hr must be on the same device, got {sr.device} and {hr.device}")
        for name, x in (("sr", sr), ("hr", hr)):
            if not torch.isfinite(x).all():
                raise InputError(f"{name} contains NaN or infinite values; a score of them would be NaN")
        h, w = sr.shape[-2:]
        border = self.border
        if h - 2 * border < min_size or w - 2 * border < min_size:
            raise InputError(
                f"images of size {h}x{w} are too small: after shaving {border} pixels per side they must be "
                f"at least {min_size}x{min_size}; pass larger images or a smaller shave"
            )
        return self._convert(sr[..., border : h - border, border : w - border]), self._convert(
            hr[..., border : h - border, border : w - border]
        )

    def _convert(self, x: torch.Tensor) -> torch.Tensor:
        x = quantize_8bit(x) if self.round_input else x.to(torch.float64) * 255.0
        return rgb_to_y(x, self.round_y) if self.channel == "y" else x
