"""Published checkpoints as srzoo models: read safely by spandrel, run by srzoo's protocol.

`load` (the reader of ``.pth``, ``.ckpt`` and ``.safetensors`` files) makes an
[`SRModel`][srzoo.SRModel] of one generator node, ``spandrel-checkpoint`` with the file's path, whose
factory `checkpoint_network` loads the file again when the model is built (``srzoo info``,
``srzoo.build`` of a recipe file naming it).

Safety: ``.safetensors`` holds tensors only; ``.pth``/``.ckpt`` go through spandrel's restricted
unpickler, which refuses every global but tensors and ordered dicts, so a file that would run code is
refused before anything from it executes. ``.pt`` (possibly TorchScript) is not read.
"""

from __future__ import annotations

import os
import pickle
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

import srzoo
from srzoo import SrzooError

from ._spandrel import require_spandrel
from .architectures import receptive_field

__all__ = ["CheckpointFacts", "SpandrelNetwork", "checkpoint_network", "facts", "load"]

SUFFIXES = (".pth", ".ckpt", ".safetensors")


@dataclass(frozen=True)
class CheckpointFacts:
    """What spandrel detects in a checkpoint.

    Attributes:
        architecture: spandrel's architecture id, e.g. ``"ESRGAN"``.
        architecture_name: its display name, e.g. ``"RealESRGAN Compact"``.
        network: the network's class name.
        scale: the SR factor.
        tags: spandrel's size tags, e.g. ``("64nf", "23nb")``.
        receptive_field: radius in LR pixels, ``None`` where unknown (cross-faded tiles then).
        tiling: spandrel's tiling advice: ``"supported"``, ``"discouraged"`` or ``"internal"``.
        supports_half: whether it runs in float16.
        hyperparameters: the detected constructor arguments (reprs of non-plain values).
    """

    architecture: str
    architecture_name: str
    network: str
    scale: int
    tags: tuple[str, ...]
    receptive_field: int | None
    tiling: str
    supports_half: bool
    hyperparameters: dict[str, Any]


def _key(path: Path) -> tuple[str, int, int]:
    stat = path.stat()
    return (str(path.resolve()), stat.st_mtime_ns, stat.st_size)


_lock = threading.Lock()
_facts: dict[tuple[str, int, int], CheckpointFacts] = {}
_pending: dict[tuple[str, int, int], Any] = {}  # a descriptor read for facts, handed to the next build


def _read_descriptor(path: Path) -> Any:
    """spandrel's descriptor of ``path``; every failure is one line naming the file."""
    spandrel = require_spandrel(f"reading the checkpoint {path}")
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise SrzooError(f"{path}: srzoo reads checkpoints as {', '.join(SUFFIXES)} (.safetensors preferred)")
    if not path.is_file():
        raise SrzooError(f"{path}: no such checkpoint file")
    loader = spandrel.ModelLoader(device="cpu")
    try:
        state = loader.load_state_dict_from_file(path)  # .pth/.ckpt: spandrel's restricted unpickler
    except pickle.UnpicklingError as exc:
        raise SrzooError(
            f"{path}: refused: the file is not a plain state dict ({exc}); nothing from it was run "
            "(use a .safetensors release of the model)"
        ) from None
    except Exception as exc:  # noqa: BLE001 - torch and safetensors raise many types for damaged files
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise SrzooError(f"{path}: not a readable {suffix} checkpoint ({first})") from None
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise SrzooError(f"{path}: holds no state dict of tensors that spandrel can read")
    try:
        descriptor = loader.load_from_state_dict(state)
    except spandrel.UnsupportedModelError:
        raise SrzooError(
            f"{path}: spandrel does not recognise this architecture ({len(state)} tensors, e.g. "
            f"{', '.join(list(state)[:2])}); see spandrel's list of supported architectures"
        ) from None
    except Exception as exc:  # noqa: BLE001 - a detected architecture whose hyper-parameters do not fit
        raise SrzooError(f"{path}: spandrel could not load it: {type(exc).__name__}: {exc}") from None
    if not isinstance(descriptor, spandrel.ImageModelDescriptor):
        raise SrzooError(
            f"{path}: a {descriptor.purpose} model ({descriptor.architecture.name}), not image SR"
        )
    if descriptor.purpose == "FaceSR":
        raise SrzooError(
            f"{path}: a face restoration model ({descriptor.architecture.name}) for aligned face crops, "
            "not general super-resolution"
        )
    if descriptor.scale < 2:
        raise SrzooError(
            f"{path}: a {descriptor.purpose} model ({descriptor.architecture.name}) at scale 1, "
            "not super-resolution"
        )
    if (descriptor.input_channels, descriptor.output_channels) != (3, 3):
        raise SrzooError(
            f"{path}: maps {descriptor.input_channels} to {descriptor.output_channels} channels; srzoo's "
            "models are RGB (3 to 3)"
        )
    return descriptor.eval()


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return repr(value)


def _facts_of(descriptor: Any) -> CheckpointFacts:
    hyperparameters = dict(getattr(descriptor.model, "hyperparameters", {}) or {})
    architecture = str(descriptor.architecture.id)
    return CheckpointFacts(
        architecture=architecture,
        architecture_name=descriptor.architecture.name,
        network=type(descriptor.model).__name__,
        scale=int(descriptor.scale),
        tags=tuple(descriptor.tags),
        receptive_field=receptive_field(architecture, hyperparameters),
        tiling=descriptor.tiling.name.lower(),
        supports_half=bool(descriptor.supports_half),
        hyperparameters={k: _plain(v) for k, v in hyperparameters.items()},
    )


def facts(path: str | os.PathLike[str]) -> CheckpointFacts:
    """What spandrel detects in the checkpoint ``path`` (cached per file version).

    Raises:
        SrzooError: spandrel is missing, or the file is unreadable, refused or not an RGB SR model.
    """
    path = Path(path)
    if not path.is_file():
        raise SrzooError(f"{path}: no such checkpoint file")
    key = _key(path)
    with _lock:
        found = _facts.get(key)
    if found is not None:
        return found
    descriptor = _read_descriptor(path)
    found = _facts_of(descriptor)
    with _lock:
        _facts[key] = found
        _pending.clear()  # at most one unclaimed network in memory
        _pending[key] = descriptor
    return found


def _pad(x: torch.Tensor, size: Any) -> torch.Tensor:
    """spandrel's padding to its size requirements: bottom/right, reflect as far as it can, then replicate."""
    h, w = x.shape[-2:]
    pad_w, pad_h = size.get_padding(w, h)
    if not (pad_w or pad_h):
        return x
    reflect_w, reflect_h = min(pad_w, w - 1), min(pad_h, h - 1)
    x = nn.functional.pad(x, (0, reflect_w, 0, reflect_h), "reflect")
    return nn.functional.pad(x, (0, pad_w - reflect_w, 0, pad_h - reflect_h), "replicate")


class SpandrelNetwork(nn.Module):
    """A spandrel model as an srzoo generator: what spandrel's own call does, minus its clamp and
    ``inference_mode`` (srzoo clamps at the API edge, and the network can train).

    ``(N, 3, h, w)`` RGB in ``[0, 1]`` → ``(N, 3, s*h, s*w)``: the input is padded to the model's
    size requirements as spandrel pads it, and the output cropped back.

    Attributes:
        net: spandrel's network (e.g. ``RRDBNet``) with the checkpoint's weights.
    """

    def __init__(self, descriptor: Any) -> None:
        super().__init__()
        self.net = descriptor.model
        self.scale = int(descriptor.scale)
        self._size = descriptor.size_requirements
        # spandrel's per-architecture call (e.g. the first of a tuple); the default calls the model
        self._call = getattr(descriptor, "_call_fn", None) or (lambda model, image: model(image))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[-2:]
        out = self._call(self.net, _pad(x, self._size))
        return out[..., : h * self.scale, : w * self.scale]


def checkpoint_network(path: str) -> nn.Module:
    """The generator ``spandrel-checkpoint``: the network stored in the checkpoint file ``path``
    (``.safetensors``, or ``.pth``/``.ckpt`` through spandrel's restricted unpickler), with its weights."""
    file = Path(path)
    facts(file)  # checks the file, once per version
    with _lock:
        descriptor = _pending.pop(_key(file), None)
    if descriptor is None:
        descriptor = _read_descriptor(file)
    return SpandrelNetwork(descriptor)


def describe(found: CheckpointFacts, path: Path) -> str:
    """One line for ``srzoo info`` and ``srzoo list``."""
    reach = "unknown" if found.receptive_field is None else f"{found.receptive_field} LR px"
    tags = f" ({', '.join(found.tags)})" if found.tags else ""
    return (
        f"{found.architecture_name} checkpoint {path.name}{tags}, ×{found.scale}, detected by spandrel "
        f"(architecture {found.architecture}, network {found.network}; receptive field {reach}; "
        f"tiling {found.tiling})"
    )


def recipe_of(path: str | os.PathLike[str], name: str) -> srzoo.Recipe:
    """The one-node recipe of a checkpoint: generator ``spandrel-checkpoint`` on the file."""
    from srzoo.recipe import parse_recipe

    file = Path(path).resolve()
    found = facts(file)
    return parse_recipe(
        {
            "name": name,
            "scale": found.scale,
            "description": describe(found, file),
            "paper": "",
            "license": "as published with the checkpoint",
            "nodes": [{"name": "sr", "generator": "spandrel-checkpoint", "args": {"path": str(file)}}],
        },
        source=str(file),
    )


def load(path: Path, name: str) -> srzoo.SRModel:
    """The reader srzoo calls for ``.pth``, ``.ckpt`` and ``.safetensors`` checkpoints."""
    return srzoo.build(recipe_of(path, name))
