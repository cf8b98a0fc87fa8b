"""Built-in plugin ``spandrel``: bench, run and train the architectures of published SR checkpoints.

With ``pip install "srzoo[spandrel]"``, `spandrel <https://github.com/chaiNNer-org/spandrel>`_ reads a
checkpoint's architecture, scale and hyper-parameters from its bare state dict, and this plugin makes
it an [`SRModel`][srzoo.SRModel]: ``srzoo.load_checkpoint("4x-model.pth")``, ``srzoo upscale -m
4x-model.pth``, ``srzoo info 4x-model.pth`` and ``srzoo bench --methods bicubic-x4,4x-model.pth``.
spandrel's architectures also train from scratch as generators (``spandrel-compact``,
``spandrel-span``, ``spandrel-esrgan``, ``spandrel-swinir``).

This module imports neither torch nor spandrel: every factory is a lazy reference. Without spandrel
the generators and the recipe are not registered (srzoo lists what it always did), and a checkpoint
file given to a command is one line with the install command.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from importlib.resources import files
from pathlib import Path
from typing import Any

import srzoo

_PKG = "srzoo_plugins.spandrel"
_FIXTURE = str(Path(__file__).with_name("fixtures") / "tiny-compact-x2.safetensors")
_LICENSE = "MIT (spandrel's implementation)"
# published .pth/.ckpt weights given with --weights to a recipe of these generators
_CONVERTERS = {".pth": f"{_PKG}.convert:read", ".ckpt": f"{_PKG}.convert:read"}


def _spandrel_installed() -> bool:
    """Whether spandrel can be imported, without importing it (``srzoo list`` stays fast)."""
    try:
        return importlib.util.find_spec("spandrel") is not None
    except (ImportError, ValueError):  # e.g. sys.modules["spandrel"] = None
        return False


def _radius(architecture: str, **hyperparameters: Any) -> int | None:
    from .architectures import receptive_field

    return receptive_field(architecture, hyperparameters)


def _facts(args: Mapping[str, Any]) -> Any:
    from .checkpoint import facts

    return facts(args["path"])


@srzoo.hookimpl
def srzoo_register_checkpoint_formats(register: srzoo.hookspecs.Register) -> None:
    for suffix in (".safetensors", ".pth", ".ckpt"):
        register(
            suffix,
            f"{_PKG}.checkpoint:load",
            description="published SR checkpoints of ~40 architectures, detected by spandrel",
        )


@srzoo.hookimpl
def srzoo_register_generators(register: srzoo.hookspecs.Register) -> None:
    if not _spandrel_installed():  # srzoo without the extra lists what it always did
        return
    register(
        "spandrel-checkpoint",
        f"{_PKG}.checkpoint:checkpoint_network",
        description="the network of a published checkpoint file (path=...), detected and loaded by spandrel",
        license="as published with the checkpoint; spandrel: MIT",
        upscale=lambda args: _facts(args).scale,
        receptive_field=lambda args: _facts(args).receptive_field,
        in_channels=3,
        out_channels=3,
        converters=_CONVERTERS,
        examples=srzoo.Examples(args={"path": _FIXTURE}, input=(1, 3, 8, 8), output=(1, 3, 16, 16)),
    )
    register(
        "spandrel-compact",
        f"{_PKG}.architectures:compact",
        description="Real-ESRGAN's compact VGG-style network (SRVGGNetCompact), spandrel's implementation",
        paper="X. Wang, L. Xie, C. Dong, Y. Shan, Real-ESRGAN, ICCV Workshops 2021",
        license=_LICENSE,
        scales=(1, 2, 3, 4, 8),
        upscale=lambda args: args["scale"],
        receptive_field=lambda args: _radius("Compact", num_conv=args["num_conv"]),
        in_channels=3,
        out_channels=3,
        supports_half=True,
        converters=_CONVERTERS,
        examples=srzoo.Examples(
            args={"scale": 2, "num_feat": 8, "num_conv": 2}, input=(1, 3, 8, 8), output=(1, 3, 16, 16)
        ),
    )
    register(
        "spandrel-span",
        f"{_PKG}.architectures:span",
        description="SPAN, swift parameter-free attention network, spandrel's implementation",
        paper="C. Wan et al., Swift Parameter-free Attention Network for Efficient Super-Resolution, CVPR Workshops 2024",
        license=_LICENSE,
        scales=(2, 3, 4),
        upscale=lambda args: args["scale"],
        receptive_field=lambda args: _radius("SPAN"),
        in_channels=3,
        out_channels=3,
        converters=_CONVERTERS,
        examples=srzoo.Examples(
            args={"scale": 2, "feature_channels": 8}, input=(1, 3, 8, 8), output=(1, 3, 16, 16)
        ),
    )
    register(
        "spandrel-esrgan",
        f"{_PKG}.architectures:esrgan",
        description="ESRGAN's RRDBNet (Real-ESRGAN's generator), spandrel's implementation",
        paper="X. Wang et al., ESRGAN: Enhanced Super-Resolution Generative Adversarial Networks, ECCV Workshops 2018",
        license=_LICENSE,
        scales=(2, 4, 8),
        upscale=lambda args: args["scale"],
        receptive_field=lambda args: _radius("ESRGAN", num_blocks=args["num_blocks"], scale=args["scale"]),
        in_channels=3,
        out_channels=3,
        converters=_CONVERTERS,
        examples=srzoo.Examples(
            args={"scale": 2, "num_filters": 8, "num_blocks": 1}, input=(1, 3, 8, 8), output=(1, 3, 16, 16)
        ),
    )
    register(
        "spandrel-swinir",
        f"{_PKG}.architectures:swinir",
        description="SwinIR (lightweight, pixel-shuffle-direct), spandrel's implementation; windowed attention",
        paper="J. Liang et al., SwinIR: Image Restoration Using Swin Transformer, ICCV Workshops 2021",
        license="Apache-2.0 (SwinIR), MIT (spandrel)",
        scales=(2, 3, 4),
        upscale=lambda args: args["scale"],
        receptive_field=None,  # shifted windows aligned to the image origin: not exactly tileable
        in_channels=3,
        out_channels=3,
        converters=_CONVERTERS,
        examples=srzoo.Examples(
            args={
                "scale": 2,
                "embed_dim": 12,
                "depths": [1],
                "num_heads": [2],
                "window_size": 4,
                "img_size": 8,
            },
            input=(1, 3, 8, 8),
            output=(1, 3, 16, 16),
        ),
    )


@srzoo.hookimpl
def srzoo_register_recipes(register: srzoo.hookspecs.Register) -> None:
    if not _spandrel_installed():
        return
    folder = files(__name__).joinpath("recipes")
    for item in sorted(folder.iterdir(), key=lambda p: p.name):
        if item.name.endswith(".toml"):
            register(item.name.removesuffix(".toml"), str(item))
