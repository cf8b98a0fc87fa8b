"""Option parsing shared by several commands."""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from srzoo.errors import SrzooError


def parse_assignments(items: Iterable[str], option: str = "--set") -> dict[str, Any]:
    """Parse ``KEY=VALUE`` pairs; values are read as TOML (``3``, ``0.5``, ``true``, ``[1, 2]``) or
    else kept as strings."""
    result: dict[str, Any] = {}
    for item in items:
        key, sep, text = item.partition("=")
        if not sep or not key.strip():
            raise SrzooError(f"{option} {item!r}: expected KEY=VALUE")
        try:
            value = tomllib.loads(f"v = {text}")["v"]
        except tomllib.TOMLDecodeError:
            value = text
        result[key.strip()] = value
    return result


def parse_weights(items: Iterable[str]) -> dict[str, Path]:
    """Parse ``--weights MODEL=PATH`` pairs."""
    result: dict[str, Path] = {}
    for item in items:
        model, sep, path = item.partition("=")
        if not sep or not model or not path:
            raise SrzooError(f"--weights {item!r}: expected MODEL=PATH, e.g. lapsrn-x4=lapsrn-x4.safetensors")
        result[model] = Path(path)
    return result


def pick_device(name: str) -> Any:
    """``auto`` (CUDA when available), ``cpu``, ``cuda`` or ``cuda:N`` as a ``torch.device``."""
    import torch

    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise SrzooError(f"--device {name!r}: expected auto, cpu, cuda or cuda:N") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise SrzooError(f"--device {name!r}: no CUDA device is available here; use --device cpu")
    return device


def split_names(text: str, option: str) -> list[str]:
    """Split a comma-separated list, rejecting empty items."""
    names = [part.strip() for part in text.split(",")]
    if not all(names):
        raise SrzooError(f"{option} {text!r}: expected a comma-separated list of names")
    return names
