"""Built-in plugin ``stagegan``: the networks and losses of Stage-GAN (Wei, Bai & Zhao 2019).

Registers (lazily: this module imports no torch code)

* generators ``unet`` (pix2pix U-Net: G0 and G1) and ``resnet-refiner`` (G2);
* discriminator ``patchgan`` (70×70 PatchGAN: D0, D1, D2);
* losses ``gan`` (conditional GAN, BCE with logits by default) and ``l1``.

The recipes ``stagegan-x4``/``-x8`` (and their ``-nosem`` ablations) chain them; see
``docs/stagegan.md``. Every component declares ``example_args`` (small, fast factory arguments) and
``example_input`` (the shape of the input tensor, or a list of call arguments whose tuples are
tensor shapes) so that the registry-driven tests can smoke-test it; networks also declare
``example_output`` (the expected output shape).
"""

from __future__ import annotations

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


@srzoo.hookimpl
def srzoo_register_generators(register: srzoo.hookspecs.Register) -> None:
    register(
        "unet",
        f"{_MODULE}.unet:UNetGenerator",
        description=(
            "pix2pix U-Net (4x4 stride-2 convs, BatchNorm, skip concatenations, dropout in the three "
            "innermost decoder blocks, tanh); Stage-GAN's G0 (MR -> semantic map) and G1 "
            "([MR, map] -> HR). Inputs: multiples of 2**num_downs (256 by default)."
        ),
        paper=f"{PIX2PIX_PAPER}; used in {STAGEGAN_PAPER}",
        license=_LICENSE,
        input_multiple=256,
        supports_half=True,
        example_args={"in_channels": 6, "out_channels": 3, "num_downs": 4, "ngf": 8},
        example_input=(2, 6, 32, 48),
        example_output=(2, 3, 32, 48),
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
        input_multiple=4,
        supports_half=True,
        example_args={"ngf": 8, "n_blocks": 2},
        example_input=(2, 3, 16, 24),
        example_output=(2, 3, 16, 24),
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
        example_args={"in_channels": 9, "ndf": 8},
        example_input=(2, 9, 64, 64),
        example_output=(2, 1, 6, 6),
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
        example_args={"mode": "vanilla"},
        example_input=[(2, 1, 6, 6), True],
    )
    register(
        "l1",
        f"{_MODULE}.losses:L1Loss",
        description="mean absolute error: loss(prediction, target) -> scalar (Stage-GAN's λ·L1 term, λ = 100)",
        paper=STAGEGAN_PAPER,
        license=_LICENSE,
        example_args={},
        example_input=[(2, 3, 8, 8), (2, 3, 8, 8)],
    )
