"""Built-in plugin ``stagegan``: the networks and losses of Stage-GAN (Wei, Bai & Zhao 2019).

Registers (lazily: this module imports no torch code)

* generators ``unet`` (pix2pix U-Net: G0 and G1) and ``resnet-refiner`` (G2);
* discriminator ``patchgan`` (70×70 PatchGAN: D0, D1, D2);
* losses ``gan`` (conditional GAN, BCE with logits by default) and ``l1``.

The recipes ``stagegan-x4``/``-x8`` (and their ``-nosem`` ablations) chain them; see
``docs/stagegan.md``. Every component declares ``examples`` (test fixtures: small, fast factory
arguments and input shapes, see `srzoo.Examples`) so that the registry-driven
tests can smoke-test it. The networks' geometry (input multiple, receptive field, channels) is
metadata computed from their arguments, from which srzoo derives a recipe's padding and checks its
channels.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import srzoo

STAGEGAN_PAPER = (
    "Z. Wei, H. Bai and Y. Zhao, Stage-GAN with Semantic Maps for Large-scale Image Super-resolution, "
    "KSII Transactions on Internet and Information Systems 13(8), 2019"
)
PIX2PIX_PAPER = (
    "P. Isola, J.-Y. Zhu, T. Zhou and A. A. Efros, Image-to-Image Translation with Conditional "
    "Adversarial Networks, CVPR 2017"
)
_LICENSE = "MIT"
_MODULE = "srzoo_plugins.stagegan"


def _refiner_radius(args: Mapping[str, Any]) -> int:
    """In input pixels: the 7x7 stem and head, the two stride-2 convs and the two stride-2
    transposed convs (12 pixels together, at their strides' alignment), and two 3x3 convs per
    residual block at quarter resolution (8 pixels per block); measured exact in the tests."""
    return 12 + 8 * args["n_blocks"]


@srzoo.hookimpl
def srzoo_register_generators(register: srzoo.hookspecs.Register) -> None:
    register(
        "unet",
        f"{_MODULE}.unet:UNetGenerator",
        description=(
            "pix2pix U-Net (4x4 stride-2 convs, BatchNorm, skip concatenations, dropout in the three "
            "innermost decoder blocks, tanh); Stage-GAN's G0 (MR -> semantic map) and G1 "
            "([MR, map] -> HR)."
        ),
        paper=f"{PIX2PIX_PAPER}; used in {STAGEGAN_PAPER}",
        license=_LICENSE,
        upscale=1,
        input_multiple=lambda args: 2 ** args["num_downs"],
        receptive_field=None,  # the bottleneck sees the whole (padded) input
        in_channels=lambda args: args["in_channels"],
        out_channels=lambda args: args["out_channels"],
        supports_half=True,
        examples=srzoo.Examples(
            args={"in_channels": 6, "out_channels": 3, "num_downs": 4, "ngf": 8},
            input=(2, 6, 32, 48),
            output=(2, 3, 32, 48),
        ),
    )
    register(
        "resnet-refiner",
        f"{_MODULE}.resnet_refiner:ResNetRefiner",
        description=(
            "ResNet encoder-decoder (7x7 conv, two stride-2 convs, residual blocks with reflection "
            "padding, two stride-2 transposed convs, 7x7 conv, tanh); Stage-GAN's refiner G2."
        ),
        paper=STAGEGAN_PAPER,
        license=_LICENSE,
        upscale=1,
        input_multiple=4,
        receptive_field=_refiner_radius,
        in_channels=lambda args: args["in_channels"],
        out_channels=lambda args: args["out_channels"],
        supports_half=True,
        examples=srzoo.Examples(args={"ngf": 8, "n_blocks": 2}, input=(2, 3, 16, 24), output=(2, 3, 16, 24)),
    )


@srzoo.hookimpl
def srzoo_register_discriminators(register: srzoo.hookspecs.Register) -> None:
    register(
        "patchgan",
        f"{_MODULE}.patchgan:PatchGAN",
        description=(
            "70x70 PatchGAN (pix2pix, n_layers=3): one real/fake logit per patch, 30x30 logits for a "
            "256x256 input; conditioned by concatenating [condition, image] on channels."
        ),
        paper=f"{PIX2PIX_PAPER}; used in {STAGEGAN_PAPER}",
        license=_LICENSE,
        supports_half=True,
        in_channels=lambda args: args["in_channels"],
        examples=srzoo.Examples(args={"in_channels": 9, "ndf": 8}, input=(2, 9, 64, 64), output=(2, 1, 6, 6)),
    )


@srzoo.hookimpl
def srzoo_register_losses(register: srzoo.hookspecs.Register) -> None:
    register(
        "gan",
        f"{_MODULE}.losses:GANLoss",
        description=(
            "adversarial loss of a critic's logits: loss(logits, target_is_real, *, "
            "for_discriminator=True); mode='vanilla' (BCE with logits, the paper) | 'lsgan' | 'hinge'"
        ),
        paper=STAGEGAN_PAPER,
        license=_LICENSE,
        examples=srzoo.Examples(args={"mode": "vanilla"}, input=[(2, 1, 6, 6), True]),
    )
    register(
        "l1",
        f"{_MODULE}.losses:L1Loss",
        description="mean absolute error: loss(prediction, target) -> scalar (Stage-GAN's λ·L1 term, λ = 100)",
        paper=STAGEGAN_PAPER,
        license=_LICENSE,
        examples=srzoo.Examples(input=[(2, 3, 8, 8), (2, 3, 8, 8)]),
    )
