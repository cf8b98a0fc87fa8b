"""Small building blocks shared by the Stage-GAN networks: normalisation, upsampling and dropout."""

from __future__ import annotations

from typing import Literal, get_args

import torch
import torch.nn.functional as F
from torch import nn

from srzoo.errors import InputError

__all__ = [
    "NORMS",
    "UPSAMPLES",
    "NoiseDropout",
    "Norm",
    "Upsample",
    "check_input",
    "check_integers",
    "check_norm",
    "check_upsample",
    "conv_bias",
    "make_norm",
    "upsampling_conv",
]

Norm = Literal["batch", "instance", "none"]
NORMS: tuple[str, ...] = get_args(Norm)
Upsample = Literal["deconv", "resize"]
UPSAMPLES: tuple[str, ...] = get_args(Upsample)


def _check_choice(name: str, value: object, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise InputError(f"{name} must be one of {', '.join(map(repr, choices))}, got {value!r}")


def check_norm(norm: str) -> None:
    """Raise [`InputError`][srzoo.InputError] unless ``norm`` is one of `NORMS`."""
    _check_choice("norm", norm, NORMS)


def check_upsample(upsample: str) -> None:
    """Raise [`InputError`][srzoo.InputError] unless ``upsample`` is one of `UPSAMPLES`."""
    _check_choice("upsample", upsample, UPSAMPLES)


def upsampling_conv(
    in_channels: int, out_channels: int, upsample: Upsample, *, bias: bool = True, **transposed: int
) -> list[nn.Module]:
    """A convolution that doubles H and W: ``(N, in, H, W) → (N, out, 2H, 2W)``.

    ``"deconv"``: one ``ConvTranspose2d`` with stride 2 and ``transposed`` (kernel_size, padding,
    output_padding), as the papers have it. ``"resize"``: nearest-neighbour ×2, then a 3×3 ``Conv2d``
    (resize-convolution, Odena et al. 2016): every output pixel sees the same number of kernel taps,
    so it leaves no checkerboard, which a stride-2 transposed convolution can.
    """
    if upsample == "resize":
        return [
            nn.Upsample(scale_factor=2, mode="nearest"),
            nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=bias),
        ]
    return [nn.ConvTranspose2d(in_channels, out_channels, stride=2, bias=bias, **transposed)]


def check_integers(component: str, **values: tuple[object, int]) -> None:
    """Check constructor arguments given as ``name=(value, minimum)``: each an ``int`` (not a bool) ``>= minimum``.

    Raises:
        InputError: ``"<component>: <name> must be an integer >= <minimum>, got <value>"``.
    """
    for name, (value, low) in values.items():
        if not isinstance(value, int) or isinstance(value, bool) or value < low:
            raise InputError(f"{component}: {name} must be an integer >= {low}, got {value!r}")


def conv_bias(norm: str) -> bool:
    """Whether a convolution followed by ``norm`` needs its own bias.

    BatchNorm's shift makes a conv bias redundant (pix2pix omits it); InstanceNorm without affine
    parameters and no normalisation keep it, as pix2pix does.
    """
    return norm != "batch"


def make_norm(norm: str, channels: int) -> nn.Module:
    """The normalisation layer after a convolution with ``channels`` outputs.

    ``"batch"``: ``BatchNorm2d`` (affine, running statistics); ``"instance"``: ``InstanceNorm2d``
    without affine parameters or running statistics (pix2pix); ``"none"``: ``Identity``.
    """
    check_norm(norm)
    if norm == "batch":
        return nn.BatchNorm2d(channels)
    if norm == "instance":
        return nn.InstanceNorm2d(channels, affine=False, track_running_stats=False)
    return nn.Identity()


class NoiseDropout(nn.Module):
    """Dropout that can stay active in eval mode (pix2pix's "noise as dropout").

    Args:
        p: drop probability.
        at_inference: keep dropping in eval mode too (stochastic outputs, as the pix2pix and
            Stage-GAN papers test); ``False`` makes eval deterministic.

    Shape:
        any; output has the input's shape.
    """

    def __init__(self, p: float = 0.5, at_inference: bool = False) -> None:
        super().__init__()
        if not 0.0 <= p < 1.0:
            raise InputError(f"dropout probability must be in [0, 1), got {p!r}")
        self.p = float(p)
        self.at_inference = bool(at_inference)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.dropout(x, self.p, training=self.training or self.at_inference)

    def extra_repr(self) -> str:
        return f"p={self.p}, at_inference={self.at_inference}"


def check_input(x: torch.Tensor, channels: int, multiple: int, name: str) -> None:
    """Check that ``x`` is ``(N, channels, H, W)`` with ``H, W`` positive multiples of ``multiple``.

    Raises:
        InputError: naming the network ``name``, what was expected and what came.
    """
    if not isinstance(x, torch.Tensor) or x.ndim != 4:
        shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
        raise InputError(f"{name}: input must be a tensor of shape (N, C, H, W), got {shape}")
    if x.shape[1] != channels:
        raise InputError(f"{name}: input must have {channels} channels, got shape {tuple(x.shape)}")
    h, w = x.shape[-2:]
    if h % multiple or w % multiple or h == 0 or w == 0:
        raise InputError(
            f"{name}: input height and width must be positive multiples of {multiple}, got {h}x{w}; "
            "pad the input (srzoo.build(...) models pad automatically)"
        )
