"""Loading and saving model weights: ``.safetensors`` by default, converters for foreign formats."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Mapping
from pathlib import Path

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save
from torch import nn

from .._io.atomic import atomic_write
from ..errors import InputError, WeightsError
from ..recipe.core import Recipe
from ..registry import loader
from ..registry.table import Entry
from .srmodel import SRModel

__all__ = ["converted_from", "load_weights", "save_weights", "sha256_of"]

_PICKLE_SUFFIXES = (".pt", ".pth", ".ckpt", ".bin", ".pkl", ".tar")


def weights_path(path: object) -> Path:
    """``path`` as a ``Path``; anything but a string or path-like is a [`WeightsError`][srzoo.WeightsError]."""
    if not isinstance(path, (str, os.PathLike)):
        raise WeightsError(f"weights must be a path to a weights file, got {type(path).__name__} {path!r}")
    return Path(path)


def _check_model(model: object, function: str, expected: type, what: str) -> None:
    if not isinstance(model, expected):
        raise InputError(f"{function} expects {what}, got {type(model).__name__}")


def sha256_of(path: str | Path) -> str:
    """Hex sha256 of a file (`hashlib.file_digest`, read in chunks)."""
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def save_weights(model: nn.Module, path: str | Path, metadata: Mapping[str, str] | None = None) -> Path:
    """Save ``model.state_dict()`` as ``.safetensors``, atomically.

    The bytes go to a temporary file next to ``path`` (fsynced, then renamed over it), so ``path`` is
    either the old file or the complete new one; on failure nothing is left behind.

    Raises:
        WeightsError: the file cannot be written (no permission, disk full, missing folder...), one line.
    """
    _check_model(model, "save_weights", nn.Module, "an nn.Module (e.g. an srzoo.SRModel)")
    path = weights_path(path)
    state = {k: v.detach().contiguous().cpu() for k, v in model.state_dict().items()}
    data = save(state, metadata=dict(metadata or {}))
    try:
        atomic_write(path, lambda handle: handle.write(data))
    except OSError as exc:
        raise WeightsError(f"{path}: cannot write the weights ({exc.strerror or exc})") from None
    return path


def _converter_for(
    model: SRModel, suffix: str
) -> Callable[[Path, SRModel], Mapping[str, torch.Tensor]] | None:
    """A converter registered in the metadata (``converters={".mat": "pkg.mod:fn"}``) of a stage's component."""
    registry = loader.registry()
    for node in model.recipe.nodes:
        entry = registry.get(node.kind, node.component)
        reference = entry.metadata.converters.get(suffix)
        if reference is not None:
            return Entry(entry.kind, f"{entry.name} converter", reference, entry.plugin).load()
    return None


def read_state_dict(model: SRModel, path: str | Path) -> dict[str, torch.Tensor]:
    """Read the state dict stored in ``path`` for ``model`` (``.safetensors`` or a converter's format)."""
    _check_model(model, "load_weights", SRModel, "an srzoo.SRModel")
    path = weights_path(path)
    if path.is_dir():
        raise WeightsError(f"{path}: is a folder; give the weights file itself")
    if not path.is_file():
        raise WeightsError(f"{path}: no such weights file")
    suffix = path.suffix.lower()
    if suffix == ".safetensors":
        try:
            return load_file(str(path), device="cpu")
        except (SafetensorError, OSError, ValueError) as exc:
            raise WeightsError(f"{path}: not a readable .safetensors file ({exc})") from None
    converter = _converter_for(model, suffix)
    if converter is not None:
        return dict(converter(path, model))
    if suffix in _PICKLE_SUFFIXES:
        raise WeightsError(
            f"{path}: refusing to unpickle a {suffix} file (it can run code); convert it to .safetensors "
            "with safetensors.torch.save_file after loading it yourself with torch.load(weights_only=True)"
        )
    raise WeightsError(
        f"{path}: unknown weights format {suffix!r} for recipe {model.recipe.name!r}; expected .safetensors"
    )


def load_weights(model: SRModel, path: str | Path) -> SRModel:
    """Load weights into ``model`` in place, strictly: every key must match.

    Raises:
        WeightsError: a missing or unreadable file, a refused pickle, or mismatched keys/shapes
            (listing the first missing and unexpected keys).
    """
    state = read_state_dict(model, path)
    expected = model.state_dict()
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    if missing or unexpected:
        raise WeightsError(
            f"{path}: weights do not fit recipe {model.recipe.name!r}: "
            f"{len(missing)} missing key(s) {_brief(missing)}, {len(unexpected)} unexpected key(s) {_brief(unexpected)}"
        )
    for key, value in state.items():
        if tuple(value.shape) != tuple(expected[key].shape):
            raise WeightsError(
                f"{path}: weights do not fit recipe {model.recipe.name!r}: {key} has shape "
                f"{tuple(value.shape)}, the model expects {tuple(expected[key].shape)}"
            )
    model.load_state_dict(state, strict=True)
    return model


def _brief(keys: list[str], limit: int = 3) -> str:
    if not keys:
        return "[]"
    shown = ", ".join(keys[:limit])
    return f"[{shown}{', ...' if len(keys) > limit else ''}]"


def converted_from(path: str | Path) -> str | None:
    """The name of the foreign file (e.g. the authors' ``LapSRN_x4.mat``) that weights file ``path``
    holds, or ``None`` for srzoo's own weights.

    A file a converter reads is itself foreign; a ``.safetensors`` file written by ``srzoo convert``
    names its source in its metadata (``source``, ``converted_by``).
    """
    path = Path(path)
    if path.suffix.lower() != ".safetensors":
        return path.name
    try:
        with safe_open(str(path), "pt") as handle:
            metadata = handle.metadata() or {}
    except (SafetensorError, OSError, ValueError):
        return None
    source = metadata.get("source", "")
    if "converted_by" in metadata and source and not source.lower().endswith(".safetensors"):
        return source
    return None


def trained_for(path: str | Path) -> str | None:
    """The recipe a ``.safetensors`` weights file says it was trained for (its ``recipe`` metadata,
    which ``srzoo train`` and ``benchmarks/ship_weights.py`` write), or ``None``."""
    path = Path(path)
    if path.suffix.lower() != ".safetensors":
        return None
    try:
        with safe_open(str(path), "pt") as handle:
            return (handle.metadata() or {}).get("recipe") or None
    except (SafetensorError, OSError, ValueError):
        return None


def shipped_weights(recipe: Recipe) -> Path:
    """The weights file srzoo ships for ``recipe`` (its ``pretrained`` table), sha256-checked.

    Raises:
        WeightsError: the recipe ships no weights (with how to train them), or the file is missing
            or does not match its sha256.
    """
    entry = recipe.pretrained
    if entry is None:
        raise WeightsError(
            f"srzoo ships no weights for recipe {recipe.name!r} yet; train them with "
            f"`srzoo train {recipe.name} --data DIR --out RUN` and pass --weights RUN/model.safetensors"
        )
    path = shipped_path(recipe)
    if not path.is_file():
        raise WeightsError(
            f"{path}: the weights recipe {recipe.name!r} ships are missing; reinstall its plugin"
        )
    actual = sha256_of(path)
    if actual != entry.sha256:
        raise WeightsError(
            f"{path}: sha256 {actual} does not match the {entry.sha256} that recipe {recipe.name!r} "
            "declares; the file is damaged or not these weights (reinstall its plugin)"
        )
    return path


def shipped_path(recipe: Recipe) -> Path:
    """Where the file of ``recipe``'s ``pretrained`` table is (it may not exist), found lazily.

    Raises:
        WeightsError: the recipe ships no weights, or names a package that is no loaded plugin's
            (nothing is imported), naming the recipe's file.
    """
    if recipe.pretrained is None:
        raise WeightsError(f"srzoo ships no weights for recipe {recipe.name!r}")
    try:
        return recipe.pretrained.path()
    except WeightsError as exc:
        raise WeightsError(f"{recipe.source}: {exc}") from None
