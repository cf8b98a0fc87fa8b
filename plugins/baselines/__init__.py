"""Built-in plugin ``baselines``: the methods Stage-GAN is compared with.

Generators ``srcnn`` (Dong et al. 2016), ``lapsrn`` (Lai et al. 2017, with a converter for the
authors' MatConvNet weights) and ``srresnet`` (Ledig et al. 2017); discriminator ``srgan``; losses
``charbonnier``, ``mse`` and ``perceptual``. Factories are lazy references: importing this module
imports no torch or model code.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import srzoo

_PKG = "srzoo_plugins.baselines"

_SRCNN_PAPER = (
    "C. Dong, C. C. Loy, K. He, X. Tang, Image Super-Resolution Using Deep Convolutional Networks, "
    "IEEE TPAMI 38(2), 2016"
)
_LAPSRN_PAPER = (
    "W.-S. Lai, J.-B. Huang, N. Ahuja, M.-H. Yang, Deep Laplacian Pyramid Networks for Fast and "
    "Accurate Super-Resolution, CVPR 2017"
)
_SRGAN_PAPER = (
    "C. Ledig et al., Photo-Realistic Single Image Super-Resolution Using a Generative Adversarial "
    "Network, CVPR 2017"
)
_LICENSE = "MIT (srzoo's implementation)"


def _srcnn_radius(args: Mapping[str, Any]) -> int:
    """Three "same"-padded convolutions: the sum of their half-widths."""
    return sum(k // 2 for k in args["kernel_sizes"])


def _lapsrn_radius(args: Mapping[str, Any]) -> int:
    """The Y pyramid in LR pixels: the input conv (1), then per level ``k`` (at ``2**k`` times the LR
    resolution) its ``depth`` convs and transposed conv, and the residual conv at twice that
    resolution: ``(depth + 1.5) / 2**k``. Chroma comes from bicubic upsampling (radius 2)."""
    from .lapsrn import released_depth

    scale = args["scale"]
    depth = args["depth"] if args["depth"] is not None else released_depth(scale)
    levels = max(scale.bit_length() - 1, 1)
    return max(2, math.ceil(1 + sum((depth + 1.5) / 2**k for k in range(levels))))


def _srresnet_radius(args: Mapping[str, Any]) -> int:
    """9x9 head, two 3x3 convs per residual block, the trunk's 3x3, one 3x3 per x2 step (at rising
    resolutions) and the 9x9 tail at the output resolution, in LR pixels."""
    scale = args["scale"]
    steps = max(scale.bit_length() - 1, 1)
    return 4 + 2 * args["num_blocks"] + 1 + steps + math.ceil(4 / scale)


@srzoo.hookimpl
def srzoo_register_generators(register: srzoo.hookspecs.Register) -> None:
    register(
        "srcnn",
        f"{_PKG}.srcnn:srcnn",
        description="SRCNN 9-5-5 (64/32 filters) on the Y channel of a bicubic-upsampled RGB image; same size out",
        paper=_SRCNN_PAPER,
        license=_LICENSE,
        scales=None,  # any: it restores a bicubic upsampling of the scale's choice
        upscale=1,
        receptive_field=_srcnn_radius,
        in_channels=3,
        out_channels=3,
        supports_half=True,
        examples=srzoo.Examples(args={"filters": [8, 4]}, input=(1, 3, 12, 12), output=(1, 3, 12, 12)),
    )
    register(
        "lapsrn",
        f"{_PKG}.lapsrn:lapsrn",
        description="LapSRN: progressive ×2 levels on the Y channel, bicubic chroma, RGB edge",
        paper=_LAPSRN_PAPER,
        license=_LICENSE + "; the authors' released weights: MIT (github.com/phoenix104104/LapSRN)",
        scales=[2, 4, 8],
        upscale=lambda args: args["scale"],
        receptive_field=_lapsrn_radius,
        in_channels=3,
        out_channels=3,
        supports_half=True,
        converters={".mat": f"{_PKG}.lapsrn_matconvnet:convert"},
        examples=srzoo.Examples(
            args={"scale": 2, "depth": 1, "features": 8}, input=(1, 3, 7, 5), output=(1, 3, 14, 10)
        ),
    )
    register(
        "srresnet",
        f"{_PKG}.srresnet:srresnet",
        description="SRResNet (SRGAN's generator): 16 residual blocks with BatchNorm and PReLU, sub-pixel ×2 steps",
        paper=_SRGAN_PAPER,
        license=_LICENSE,
        scales=[2, 4, 8],
        upscale=lambda args: args["scale"],
        receptive_field=_srresnet_radius,
        in_channels=lambda args: args["channels"],
        out_channels=lambda args: args["channels"],
        supports_half=True,
        examples=srzoo.Examples(
            args={"scale": 2, "num_blocks": 1, "features": 8}, input=(1, 3, 7, 5), output=(1, 3, 14, 10)
        ),
    )


@srzoo.hookimpl
def srzoo_register_discriminators(register: srzoo.hookspecs.Register) -> None:
    register(
        "srgan",
        f"{_PKG}.srgan_discriminator:srgan_discriminator",
        description="SRGAN's VGG-style critic: 8 conv blocks, dense 1024, dense 1; returns (N, 1) logits",
        paper=_SRGAN_PAPER,
        license=_LICENSE,
        in_channels=lambda args: args["in_channels"],
        examples=srzoo.Examples(
            args={"features": 8, "patch_size": 32, "hidden": 16}, input=(2, 3, 32, 32), output=(2, 1)
        ),
    )


@srzoo.hookimpl
def srzoo_register_losses(register: srzoo.hookspecs.Register) -> None:
    register(
        "charbonnier",
        f"{_PKG}.losses:charbonnier",
        description="Charbonnier penalty mean(sqrt(d² + eps²)), eps = 1e-3 (LapSRN): loss(prediction, target)",
        paper=_LAPSRN_PAPER,
        license=_LICENSE,
        examples=srzoo.Examples(input=[(2, 1, 8, 8), (2, 1, 8, 8)]),
    )
    register(
        "mse",
        f"{_PKG}.losses:mse",
        description="mean squared error (SRCNN, SRResNet): loss(prediction, target)",
        license=_LICENSE,
        examples=srzoo.Examples(input=[(2, 3, 8, 8), (2, 3, 8, 8)]),
    )
    register(
        "perceptual",
        f"{_PKG}.losses:perceptual",
        description=(
            "SRGAN's VGG loss: MSE of frozen timm backbone features (vgg19 φ5,4 / 12.75 by default); "
            "weights from a local file or timm's local cache, never downloaded"
        ),
        paper=_SRGAN_PAPER,
        license=_LICENSE,
        examples=srzoo.Examples(
            args={"backbone": "vgg11", "layer": 1, "weights": None}, input=[(2, 3, 16, 16), (2, 3, 16, 16)]
        ),
    )
