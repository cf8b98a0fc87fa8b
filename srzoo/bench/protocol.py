"""The protocol card every benchmark result carries, so that numbers of different protocols never mix.

A card has two parts: the *scoring protocol* (`ProtocolCard.key`: how LR is made, how SR is
rounded, channel, Y convention, shave), which decides whether two numbers are comparable, and the
*provenance* (dataset file hashes, weights sha256, versions, device, fast path), which says exactly
what was measured. Tables only put results with equal keys side by side.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

__all__ = ["LRSpec", "ProtocolCard", "YConvention", "matlab_rounding"]

YConvention = Literal["rounded", "unrounded"]


def matlab_rounding(scale: int) -> str:
    """The uint8 rounding MATLAB's ``imresize`` effectively applied to the benchmark LR images.

    Set5's ``LR_bicubic/X2``–``X4`` are reproduced bit-exactly by rounding after each 1-D pass and
    ``X8`` by one final rounding (DESIGN §6), so the protocol uses the same.
    """
    return "per-pass" if scale <= 4 else "final"


@dataclass(frozen=True)
class LRSpec:
    """How the LR inputs were made.

    Attributes:
        source: ``"degradation"`` (made from HR) or ``"files"`` (read from a ``paired:`` LR folder).
        degradation: the registered degradation's name (``"bicubic"`` for the literature's protocol).
        args: its factory arguments besides ``scale`` (e.g. the bicubic rounding mode).
        seed: the seed of its ``torch.Generator`` for random degradations, else ``None``.
        rounding: ``"8-bit"``: LR snapped to the 8-bit grid, as saving a PNG would.
    """

    source: str = "degradation"
    degradation: str | None = "bicubic"
    args: dict[str, Any] = field(default_factory=dict)
    seed: int | None = None
    rounding: str = "8-bit"


@dataclass(frozen=True)
class ProtocolCard:
    """Everything a benchmark number depends on.

    Attributes:
        scale: the method's SR factor (also the default shave).
        channel: ``"y"`` (MATLAB ``rgb2ycbcr`` luma) or ``"rgb"``.
        y: ``"rounded"`` (the EDSR/VDSR-era tables) or ``"unrounded"`` (RCAN's scripts, LapSRN's
            Y output).
        shave: border pixels removed on every side before scoring.
        lr: how LR was made (`LRSpec`).
        sr_rounding: ``"8-bit"``: SR snapped to 8 bits before scoring.
        resizer: the HR crop and resize convention.
        dataset: ``{"name", "images", "sha256"}``; ``sha256`` hashes the images' own hashes.
        weights: where the weights came from (see ``srzoo.inference.loading.LoadedModel``), or ``None``.
        fast: whether the model ran through ``srzoo.optimize_for_inference``.
        device: where it ran, e.g. ``"cpu"`` or ``"cuda:0 (NVIDIA H200)"``.
        versions: ``{"srzoo", "torch"}``.
    """

    scale: int
    channel: str
    y: YConvention
    shave: int
    lr: LRSpec
    sr_rounding: str = "8-bit"
    resizer: str = "HR mod-cropped to the scale (top-left kept); MATLAB imresize bicubic"
    dataset: dict[str, Any] = field(default_factory=dict)
    weights: dict[str, str] | None = None
    fast: bool = True
    device: str = "cpu"
    versions: dict[str, str] = field(default_factory=dict)

    @property
    def key(self) -> tuple[Any, ...]:
        """The scoring protocol only: results with equal keys are comparable (same table).

        The shave is compared as a rule (``"scale"`` when it equals the scale) so that ×4 and ×8
        results of the standard protocol share a table.
        """
        shave = "scale" if self.shave == self.scale else self.shave
        lr = (self.lr.source, self.lr.degradation, self.lr.seed, self.lr.rounding)
        return (self.channel, self.y, shave, lr, self.sr_rounding)

    def describe_key(self) -> str:
        """One line naming the scoring protocol, for table titles."""
        shave = "scale" if self.shave == self.scale else str(self.shave)
        if self.lr.source == "files":
            lr = "LR from files"
        else:
            seed = "" if self.lr.seed is None else f", seed {self.lr.seed}"
            lr = f"LR = {self.lr.degradation}{seed}, 8-bit"
        return f"{self.channel.upper()} ({self.y} Y), shave {shave}, SR 8-bit, {lr}"

    def as_dict(self) -> dict[str, Any]:
        """The card as plain JSON-ready data."""
        return asdict(self)


def combined_hash(hashes: list[str]) -> str:
    """One sha256 over a set's per-image hashes (in order)."""
    digest = hashlib.sha256()
    for value in hashes:
        digest.update(value.encode())
    return digest.hexdigest()
