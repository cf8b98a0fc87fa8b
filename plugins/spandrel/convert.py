"""A converter (``converters={".pth": ...}``) so that recipes of spandrel's generators take published
``.pth``/``.ckpt`` weights with ``--weights``: read through spandrel's restricted unpickler."""

from __future__ import annotations

from pathlib import Path

import torch

from srzoo import SRModel, SrzooError

from .checkpoint import _read_descriptor

_PREFIX = "spandrel-"


def read(path: Path, model: SRModel) -> dict[str, torch.Tensor]:
    """The checkpoint's tensors as ``model``'s state dict, for the (one) node whose generator is one
    of spandrel's: ``stages.NODE.`` before each key (``stages.NODE.net.`` for ``spandrel-checkpoint``,
    which wraps the network)."""
    nodes = [n for n in model.recipe.nodes if n.component.startswith(_PREFIX)]
    if len(nodes) != 1:
        raise SrzooError(
            f"{path}: recipe {model.recipe.name!r} has {len(nodes)} spandrel generators; expected one"
        )
    node = nodes[0]
    prefix = f"stages.{node.name}." + ("net." if node.component == "spandrel-checkpoint" else "")
    descriptor = _read_descriptor(Path(path))
    return {prefix + key: value for key, value in descriptor.model.state_dict().items()}
