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

from srzoo.checks import check_image_batch, check_unit_range
from srzoo.color import rgb_to_y, round_half_up, to_8bit_levels
from srzoo.errors import InputError

__all__ = ["Channel", "Protocol", "one_thread"]

Channel = Literal["y", "rgb"]


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
        round_y: round the luma to integers (see [`srzoo.color.rgb_to_y`][srzoo.color.rgb_to_y]); ignored for ``"rgb"``.
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
            InputError: a non-tensor, non-float, non-RGB or empty input, NaN/inf or values outside
                [`srzoo.checks.UNIT_RANGE_TOLERANCE`][srzoo.checks.UNIT_RANGE_TOLERANCE] (e.g. a
                ``[0, 255]`` image), a shape mismatch, or images too small for the shave and the scorer.
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
            check_unit_range(x, name)
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
        x = x.to(torch.float64)
        x = to_8bit_levels(x) if self.round_input else x * 255.0
        if self.channel == "rgb":
            return x
        y = rgb_to_y(x, peak=255.0)
        return round_half_up(y) if self.round_y else y
