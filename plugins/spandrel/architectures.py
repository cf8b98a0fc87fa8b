"""spandrel's architectures as srzoo generators that train from scratch, and their receptive fields.

Each factory builds the network with spandrel's own class, so weights trained by srzoo load in
spandrel (chaiNNer, ComfyUI) and published weights load here. Networks map ``(N, 3, h, w)`` RGB in
``[0, 1]`` to ``(N, 3, s*h, s*w)`` in ``[0, 1]`` (unclamped).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from torch import nn

from ._spandrel import require_spandrel

__all__ = ["compact", "esrgan", "receptive_field", "span", "swinir"]


def compact(scale: int = 4, num_feat: int = 64, num_conv: int = 16, act_type: str = "prelu") -> nn.Module:
    """Real-ESRGAN's compact VGG-style net (``SRVGGNetCompact``): ``num_conv + 2`` 3×3 convolutions at
    LR resolution, a pixel shuffle, plus the nearest-upsampled input."""
    require_spandrel("the spandrel-compact generator")
    from spandrel.architectures.Compact import Compact

    return Compact(num_feat=num_feat, num_conv=num_conv, upscale=scale, act_type=act_type)


def span(scale: int = 4, feature_channels: int = 48) -> nn.Module:
    """SPAN (Wan et al., NTIRE 2024 efficient SR winner): six parameter-free attention blocks."""
    require_spandrel("the spandrel-span generator")
    from spandrel.architectures.SPAN import SPAN

    net = SPAN(num_in_ch=3, num_out_ch=3, feature_channels=feature_channels, upscale=scale)
    # each Conv3XC's eval_conv is derived from its trained branches on every eval-mode call: not trained
    for name, parameter in net.named_parameters():
        if ".eval_conv." in f".{name}":
            parameter.requires_grad_(False)
    return net


def esrgan(scale: int = 4, num_filters: int = 64, num_blocks: int = 23) -> nn.Module:
    """ESRGAN's RRDBNet (Wang et al., ECCV-W 2018; Real-ESRGAN's generator)."""
    require_spandrel("the spandrel-esrgan generator")
    from spandrel.architectures.ESRGAN import ESRGAN

    return ESRGAN(num_filters=num_filters, num_blocks=num_blocks, scale=scale)


def swinir(
    scale: int = 2,
    embed_dim: int = 60,
    depths: list[int] | None = None,
    num_heads: list[int] | None = None,
    window_size: int = 8,
    img_size: int = 64,
) -> nn.Module:
    """SwinIR (Liang et al., ICCV-W 2021), lightweight configuration by default (pixel-shuffle-direct)."""
    require_spandrel("the spandrel-swinir generator")
    from spandrel.architectures.SwinIR import SwinIR

    depths = list(depths) if depths is not None else [6, 6, 6, 6]
    num_heads = list(num_heads) if num_heads is not None else [6] * len(depths)
    return SwinIR(
        upscale=scale,
        img_size=img_size,
        window_size=window_size,
        embed_dim=embed_dim,
        depths=depths,
        num_heads=num_heads,
        mlp_ratio=2.0,
        upsampler="pixelshuffledirect",
    )


def _esrgan_radius(hp: Mapping[str, Any]) -> int:
    """Conservative: every 3×3 conv counted at LR resolution (or the unshuffled one, ``f`` times
    coarser): the head, 15 per RRDB, the trunk; one per ×2 step and two at HR; the unshuffle's block."""
    shuffle = hp.get("shuffle_factor") or 1
    steps = max(1, (max(hp["scale"] // shuffle, 1) - 1).bit_length())
    return (15 * hp["num_blocks"] + 2) * shuffle + shuffle + steps + 2


_RADIUS: dict[str, Callable[[Mapping[str, Any]], int]] = {
    "Compact": lambda hp: hp["num_conv"] + 2,
    # conv_1, 6 blocks of 3 Conv3XC, conv_2 and the upsampler's conv are 3×3; the rest is 1×1 or pointwise
    "SPAN": lambda hp: 21,
    "ESRGAN": _esrgan_radius,
}


def receptive_field(architecture: str, hyperparameters: Mapping[str, Any]) -> int | None:
    """The radius in LR pixels that an output pixel of spandrel architecture ``architecture`` (its id,
    e.g. ``"Compact"``) depends on, or ``None`` where srzoo does not know it (attention over windows
    or the whole image: SwinIR, HAT, DAT...; channel attention with global pooling: RCAN)."""
    rule = _RADIUS.get(architecture)
    return None if rule is None else rule(hyperparameters)
