"""Files shipped inside a loaded plugin's package (a recipe's ``pretrained`` weights), found
without importing anything: a recipe file is data, and the package it names must be a plugin's."""

from __future__ import annotations

import sys
from importlib.resources import files
from pathlib import Path

from ..errors import WeightsError
from . import loader

__all__ = ["plugin_file", "plugin_packages"]


def plugin_packages() -> set[str]:
    """The packages (and their parent packages) of every working plugin, all already imported."""
    packages: set[str] = set()
    for name in loader.plugin_modules():
        parts = name.split(".")
        packages.update(".".join(parts[:i]) for i in range(1, len(parts) + 1))
    return {name for name in packages if name in sys.modules}


def plugin_file(package: str, inner: str, what: str) -> Path:
    """``inner`` inside ``package``, which must be a loaded plugin's package (never imported here).

    Raises:
        WeightsError: ``package`` is not a loaded plugin's package, or not a package at all.
    """
    if package not in plugin_packages():
        raise WeightsError(
            f"{what}: {package!r} is not the package of a loaded srzoo plugin; srzoo never imports what a "
            "recipe file names, so give a path relative to the recipe file instead"
        )
    try:
        return Path(str(files(sys.modules[package]).joinpath(inner)))
    except (TypeError, ValueError) as exc:  # a plain module, not a package
        raise WeightsError(f"{what}: {package!r} holds no files ({exc})") from None
