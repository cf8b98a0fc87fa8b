"""Option parsing shared by several commands."""

from __future__ import annotations

import argparse
import dataclasses
import tomllib
import typing
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from srzoo.errors import SrzooError

if TYPE_CHECKING:
    from srzoo.recipe import Recipe


def add_set_option(parser: argparse.ArgumentParser, help: str) -> None:
    """Add the repeatable ``--set KEY=VALUE`` recipe override (into ``args.overrides``, a list of
    strings) that ``recipe_with_settings`` or ``parse_settings`` then reads, typed."""
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help=f"{help} (values are TOML, checked against the key's type; repeatable)",
    )


def recipe_with_settings(name: str | Path, items: Iterable[str], option: str = "--set") -> Recipe:
    """The recipe ``name`` (a registered name or a ``.toml`` path) with ``--set KEY=VALUE`` items
    applied: what ``srzoo info``, ``upscale``, ``train`` and ``bench`` build from.

    Raises:
        SrzooError: an unknown recipe, or a setting that does not parse or validate (one line).
    """
    from srzoo.recipe.core import get_recipe, recipe_with

    recipe = get_recipe(name)
    settings = parse_settings(items, recipe, option)
    return recipe_with(name, settings)


def parse_settings(items: Iterable[str], recipe: Recipe, option: str = "--set") -> dict[str, Any]:
    """Parse ``KEY=VALUE`` overrides of ``recipe``, each value read as TOML and checked against
    what its key sets: a node argument's factory annotation, or a recipe or training field's type.

    ``true``/``false`` are TOML's booleans; Python's ``True``/``False`` are accepted where the key
    takes a bool, and ``None`` where it takes ``None`` (it resets a recipe field). A bare word is
    kept as a string only where the key takes a string; anywhere else it is an error naming the
    key and the expected type.

    Examples:
        >>> from srzoo.cli._options import parse_settings
        >>> recipe = srzoo.get_recipe("stagegan-x8")
        >>> parse_settings(["sem.dropout_at_inference=False", "train.epochs=10"], recipe)
        {'sem.dropout_at_inference': False, 'train.epochs': 10}

    Raises:
        SrzooError: one line naming the option, the key and the expected type.
    """
    from srzoo._annotations import accepts, describe
    from srzoo.recipe.overrides import FIXED_KEYS

    result: dict[str, Any] = {}
    for item in items:
        key, sep, text = item.partition("=")
        key, text = key.strip(), text.strip()
        if not sep or not key:
            raise SrzooError(f"{option} {item!r}: expected KEY=VALUE")
        head = key.partition(".")[0]
        if head in FIXED_KEYS and head not in {n.name for n in recipe.nodes}:
            hint = (
                "'weights' is not a recipe key; use --weights PATH" if head == "weights" else FIXED_KEYS[head]
            )
            raise SrzooError(f"{option} {key}={text}: {hint}")
        annotation = _target_annotation(recipe, key)
        try:
            value = tomllib.loads(f"v = {text}")["v"]
        except tomllib.TOMLDecodeError:
            value = _bare_word(text, annotation, accepts)
            if value is _REFUSED:
                raise SrzooError(f"{option} {key}={text}: expected {describe(annotation)}") from None
        if annotation is not None and not accepts(annotation, value):
            raise SrzooError(
                f"{option} {key}={text}: expected {describe(annotation)}, got {type(value).__name__} {value!r}"
            )
        result[key] = value
    return result


_REFUSED = object()


def _bare_word(text: str, annotation: Any, accepts: Any) -> Any:
    """What a value that is not TOML means for a key of type ``annotation``."""
    if annotation is None:  # an unknown target: keep the word, the build checks it
        return text
    for word, value in (("True", True), ("False", False), ("None", None)):
        if text == word and accepts(annotation, value):
            return value
    return text if accepts(annotation, text) else _REFUSED


def _target_annotation(recipe: Recipe, key: str) -> Any:
    """The annotation of what ``key`` sets, or ``None`` when srzoo cannot tell."""
    from srzoo._annotations import parameter_annotations
    from srzoo.recipe import Recipe
    from srzoo.registry.components import describe

    head, _, rest = key.partition(".")
    node = next((n for n in recipe.nodes if n.name == head), None)
    if node is not None:
        if not rest or "." in rest:
            return None
        try:
            factory = describe(node.kind, node.component).load()
        except SrzooError:
            return None
        return parameter_annotations(factory).get(rest)
    parts = key.split(".")
    cls: Any = Recipe
    annotation: Any = None
    for part in parts:
        hints = _dataclass_hints(cls)
        if hints is None or part not in hints:
            return None
        annotation = hints[part]
        cls = next(
            (a for a in (annotation, *typing.get_args(annotation)) if dataclasses.is_dataclass(a)), None
        )
    return annotation


def _dataclass_hints(cls: Any) -> dict[str, Any] | None:
    if cls is None or not dataclasses.is_dataclass(cls):
        return None

    return typing.get_type_hints(cls)  # resolved in the module that defines the class


def parse_weights(items: Iterable[str]) -> dict[str, Path]:
    """Parse ``--weights MODEL=PATH`` pairs."""
    result: dict[str, Path] = {}
    for item in items:
        model, sep, path = item.partition("=")
        if not sep or not model or not path:
            raise SrzooError(f"--weights {item!r}: expected MODEL=PATH, e.g. lapsrn-x4=lapsrn-x4.safetensors")
        result[model] = Path(path)
    return result


def parse_labels(items: Iterable[str]) -> dict[str, str]:
    """Parse ``--label METHOD=LABEL`` pairs."""
    result: dict[str, str] = {}
    for item in items:
        method, sep, label = (part.strip() for part in item.partition("="))
        if not sep or not method or not label:
            raise SrzooError(f"--label {item!r}: expected METHOD=LABEL, e.g. lapsrn-x4=LapSRN-authors")
        result[method] = label
    return result


def add_device_option(parser: argparse.ArgumentParser) -> None:
    """Add ``--device`` (into ``args.device``), which ``pick_device`` reads."""
    parser.add_argument("--device", default="auto", help="auto (default), cpu, cuda or cuda:N")


def pick_device(name: str) -> Any:
    """``auto`` (CUDA when available), ``cpu``, ``cuda`` or ``cuda:N`` as a ``torch.device``."""
    from srzoo.runtime.devices import pick_device as pick

    return pick(name, "--device")


def split_names(text: str, option: str) -> list[str]:
    """Split a comma-separated list, rejecting empty items."""
    names = [part.strip() for part in text.split(",")]
    if not all(names):
        raise SrzooError(f"{option} {text!r}: expected a comma-separated list of names")
    return names


# suffixes of image formats srzoo cannot write: an --out with one of them is a mistake, not a folder
UNWRITABLE_IMAGE_SUFFIXES = frozenset(
    {
        ".gif",
        ".heic",
        ".heif",
        ".avif",
        ".jp2",
        ".j2k",
        ".ico",
        ".tga",
        ".exr",
        ".hdr",
        ".svg",
        ".pgm",
        ".pnm",
    }
)


def names_image_file(out: Path) -> bool:
    """Whether ``out`` (not an existing folder) has the suffix of an image format, one srzoo
    writes or not: what ``upscale --out`` writes as one file and a folder option refuses."""
    from srzoo.imageio import IMAGE_SUFFIXES

    suffix = out.suffix.lower()
    return not out.is_dir() and (suffix in IMAGE_SUFFIXES or suffix in UNWRITABLE_IMAGE_SUFFIXES)


def output_folder(text: str, option: str = "--out") -> Path:
    """The folder a command writes into, refused up front (one line) when its name has an image
    suffix (``--out y.gif``) or it exists as a file."""
    out = Path(text)
    if names_image_file(out):
        raise SrzooError(
            f"{option} {out}: names an image file, but this command writes a folder; "
            f"give a folder name such as {out.with_suffix('')}"
        )
    if out.exists() and not out.is_dir():
        raise SrzooError(f"{option} {out}: exists and is not a folder")
    return out
