"""Built-in plugin ``baselines``: the methods Stage-GAN is compared with.

Generators ``srcnn`` (Dong et al. 2016), ``lapsrn`` (Lai et al. 2017, with a converter for the
authors' MatConvNet weights) and ``srresnet`` (Ledig et al. 2017); discriminator ``srgan``; losses
``charbonnier``, ``mse`` and ``perceptual``. Factories are lazy references: importing this module
imports no torch or model code.
"""

from __future__ import annotations

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


@srzoo.hookimpl
def srzoo_register_generators(register: srzoo.hookspecs.Register) -> None:
    register(
        "srcnn",
        f"{_PKG}.srcnn:srcnn",
        description="SRCNN 9-5-5 (64/32 filters) on the Y channel of a bicubic-upsampled RGB image; same size out",
        paper=_SRCNN_PAPER,
        license=_LICENSE,
        scales="any (runs after a bicubic upsampling)",
        input_multiple=1,
        supports_half=True,
        example_args={"filters": [8, 4]},
        example_input=(1, 3, 12, 12),
        example_output=(1, 3, 12, 12),
    )
    register(
        "lapsrn",
        f"{_PKG}.lapsrn:lapsrn",
        description="LapSRN: progressive ×2 levels on the Y channel, bicubic chroma, RGB edge",
        paper=_LAPSRN_PAPER,
        license=_LICENSE + "; the authors' released weights: MIT (github.com/phoenix104104/LapSRN)",
        scales=[2, 4, 8],
        input_multiple=1,
        supports_half=True,
        converters={".mat": f"{_PKG}.lapsrn_matconvnet:convert"},
        example_args={"scale": 2, "depth": 1, "features": 8},
        example_input=(1, 3, 7, 5),
        example_output=(1, 3, 14, 10),
    )
    register(
        "srresnet",
        f"{_PKG}.srresnet:srresnet",
        description="SRResNet (SRGAN's generator): 16 residual blocks with BatchNorm and PReLU, sub-pixel ×2 steps",
        paper=_SRGAN_PAPER,
        license=_LICENSE,
        scales=[2, 4, 8],
        input_multiple=1,
        supports_half=True,
        example_args={"scale": 2, "num_blocks": 1, "features": 8},
        example_input=(1, 3, 7, 5),
        example_output=(1, 3, 14, 10),
    )


@srzoo.hookimpl
def srzoo_register_discriminators(register: srzoo.hookspecs.Register) -> None:
    register(
        "srgan",
        f"{_PKG}.srgan_discriminator:srgan_discriminator",
        description="SRGAN's VGG-style critic: 8 conv blocks, dense 1024, dense 1; returns (N, 1) logits",
        paper=_SRGAN_PAPER,
        license=_LICENSE,
        example_args={"features": 8, "patch_size": 32, "hidden": 16},
        example_input=(2, 3, 32, 32),
        example_output=(2, 1),
    )


@srzoo.hookimpl
def srzoo_register_losses(register: srzoo.hookspecs.Register) -> None:
    register(
        "charbonnier",
        f"{_PKG}.losses:charbonnier",
        description="Charbonnier penalty mean(sqrt(d² + eps²)), eps = 1e-3 (LapSRN): loss(prediction, target)",
        paper=_LAPSRN_PAPER,
        license=_LICENSE,
        example_args={},
        example_input=[(2, 1, 8, 8), (2, 1, 8, 8)],
    )
    register(
        "mse",
        f"{_PKG}.losses:mse",
        description="mean squared error (SRCNN, SRResNet): loss(prediction, target)",
        license=_LICENSE,
        example_args={},
        example_input=[(2, 3, 8, 8), (2, 3, 8, 8)],
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
        example_args={"backbone": "vgg11", "layer": 1, "weights": None},
        example_input=[(2, 3, 16, 16), (2, 3, 16, 16)],
    )
