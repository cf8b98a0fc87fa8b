"""[`Recipe`][srzoo.Recipe], its parser, and the parsed recipes of registered names (parsed once).

A registered recipe is parsed once per registration and kept: `get_recipe` and every variant's
``base`` read it from the cache, and `recipe_with` keeps the recipe with a given set of overrides.
"""

from __future__ import annotations

import contextvars
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import RecipeError, SrzooError
from ..registry import loader
from .merge import merge_variant
from .overrides import apply_override
from .schema import (
    OUTPUT_ALIAS,
    Node,
    Pretrained,
    Published,
    TrainSpec,
    _set,
)
from .tables import _parse_pretrained, _parse_published, _parse_train, _Reader, parse_geometry, parse_nodes

__all__ = ["Recipe", "get_recipe", "load_recipe", "parse_recipe", "recipe_with"]


@dataclass(frozen=True)
class Recipe:
    """A validated recipe: the dataclasses are all there is (no stored source data).

    Attributes:
        name: the recipe's registered name, e.g. ``"stagegan-x8"``.
        scale: the upscaling factor ``s``: output is ``(N, 3, s*h, s*w)``.
        nodes: the graph's steps in execution order.
        output: the node whose result is the SR image.
        value_range: the range the networks work in; the API edge is always ``[0, 1]``.
        input_multiple: a stated override of the multiple the LR input is padded to, or ``None``
            (the usual case): the built model derives it from its components' metadata, see
            `SRModel.input_multiple`.
        pad_mode: how that padding is filled (``reflect`` falls back to ``replicate`` on tiny inputs).
        description: one line shown by ``srzoo list`` and ``srzoo info``.
        paper: the paper the recipe reproduces, shown by ``srzoo info``.
        license: the license of the method or its weights, shown by ``srzoo info``.
        train: the paper's training settings, or ``None``.
        published: values papers report for this recipe (``srzoo bench`` shows the gap).
        pretrained: the weights srzoo ships for this recipe ([`Pretrained`][srzoo.recipe.Pretrained]),
            or ``None`` (most recipes: srzoo ships only small models it trained itself).
        source: where the recipe came from (a file path), for error messages; not part of equality.
    """

    name: str
    scale: int
    nodes: tuple[Node, ...]
    output: str = OUTPUT_ALIAS
    value_range: tuple[float, float] = (0.0, 1.0)
    input_multiple: int | None = None
    pad_mode: str = "reflect"
    description: str = ""
    paper: str = ""
    license: str = ""
    train: TrainSpec | None = None
    published: tuple[Published, ...] = ()
    pretrained: Pretrained | None = None
    source: str = field(default="<recipe>", compare=False)

    def __post_init__(self) -> None:
        _set(self, "nodes", tuple(self.nodes))
        _set(self, "value_range", tuple(self.value_range))
        _set(self, "published", tuple(self.published))

    def node(self, name: str) -> Node:
        """The node called ``name``."""
        for node in self.nodes:
            if node.name == name:
                return node
        raise RecipeError(
            self.source, "nodes", f"no node named {name!r}; nodes: {', '.join(n.name for n in self.nodes)}"
        )

    def to_dict(self) -> dict[str, Any]:
        """The recipe as a TOML-like dict that `parse_recipe` reads back
        into an equal recipe (``None`` fields are left out, as TOML has no null).

        Examples:
            >>> from srzoo.recipe import parse_recipe
            >>> recipe = srzoo.get_recipe("bicubic-x4")
            >>> parse_recipe(recipe.to_dict()) == recipe
            True
        """
        data: dict[str, Any] = {
            "name": self.name,
            "scale": self.scale,
            "output": self.output,
            "value_range": list(self.value_range),
            "pad_mode": self.pad_mode,
            "description": self.description,
            "paper": self.paper,
            "license": self.license,
        }
        if self.input_multiple is not None:
            data["input_multiple"] = self.input_multiple
        data["nodes"] = [node.to_dict() for node in self.nodes]
        if self.train is not None:
            data["train"] = self.train.to_dict()
        if self.published:
            data["published"] = [entry.to_dict() for entry in self.published]
        if self.pretrained is not None:
            data["pretrained"] = self.pretrained.to_dict()
        return data

    def with_overrides(self, overrides: Mapping[str, Any]) -> Recipe:
        """Return a copy with ``overrides`` applied, validated again; the original is unchanged.

        Keys are top-level fields (``input_multiple=64``), node or critic names with a table of
        arguments (``sem={"ngf": 32}``), dotted paths into a node's or a critic's arguments or the
        training settings (``"sem.ngf": 32``, ``"d0.ndf": 32``, ``"train.optimizer.lr": 1e-5``,
        ``"train.critics.d0.args.ndf": 32``).
        ``None`` resets a recipe field (not a node argument) to its default. Works on any recipe,
        read from TOML or built in Python.

        Raises:
            RecipeError: naming the key: an unknown node, field or table, a field that cannot be
                overridden (``name``, ``nodes``, ``base``), or a value that does not validate.

        Examples:
            >>> recipe = srzoo.get_recipe("stagegan-x8").with_overrides({"sem.ngf": 32})
            >>> recipe.node("sem").args["ngf"]
            32
        """
        if not isinstance(overrides, Mapping):
            raise RecipeError(
                self.source,
                "",
                f"overrides must be a mapping of key -> value, got {type(overrides).__name__}",
            )
        data = self.to_dict()
        for key, value in overrides.items():
            apply_override(data, key, value, self.source)
        return parse_recipe(data, source=self.source)


def parse_recipe(
    data: Mapping[str, Any], *, source: str = "<recipe>", base_dir: str | Path | None = None
) -> Recipe:
    """Validate a recipe given as a (TOML-like) mapping.

    A ``base = "NAME"`` key (a registered recipe, or a ``.toml`` path relative to ``base_dir``)
    makes this a variant: the base's content is merged with this mapping's keys, see
    ``docs/recipes.md`` ("Variants").

    Args:
        data: the recipe's tables, as ``tomllib`` gives them or `Recipe.to_dict` makes them.
        source: where it came from, for error messages.
        base_dir: the folder a relative ``base`` path is read from (the recipe file's folder);
            the working directory when ``None``.

    Raises:
        RecipeError: naming ``source``, the offending key and what was expected.
    """
    if isinstance(data, Mapping) and "base" in data:
        data = _resolve_base(data, source, base_dir)
    reader = _Reader(data, source, "")
    name = reader.get("name", str, what="the recipe's name")
    scale, input_multiple, value_range, pad_mode = parse_geometry(reader)
    nodes, output = parse_nodes(reader, source)
    node_names = {node.name for node in nodes}
    train_table = reader.get("train", dict, None)
    recipe = Recipe(
        name=name,
        scale=scale,
        nodes=nodes,
        output=output,
        value_range=value_range,
        input_multiple=input_multiple,
        pad_mode=pad_mode,
        description=reader.get("description", str, ""),
        paper=reader.get("paper", str, ""),
        license=reader.get("license", str, ""),
        train=None if train_table is None else _parse_train(train_table, source, node_names),
        published=_parse_published(
            reader.get("published", list, [], what="a list of [[published]] tables"), source
        ),
        pretrained=_parse_pretrained(
            reader.get("pretrained", dict, None, what="a table { file = ..., sha256 = ... }"),
            source,
            base_dir,
        ),
        source=source,
    )
    reader.finish()
    return recipe


def load_recipe(path: str | Path) -> Recipe:
    """Read and validate a recipe TOML file.

    Raises:
        RecipeError: if the file is missing, is not TOML, or does not validate.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise RecipeError(
            "", "", f"a recipe file is a path to a .toml file, got {type(path).__name__} {path!r}"
        )
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise RecipeError(str(path), "", f"cannot read the recipe: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise RecipeError(str(path), "", "not a UTF-8 text file; expected a TOML recipe") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RecipeError(str(path), "", f"invalid TOML: {exc}") from None
    return parse_recipe(data, source=str(path), base_dir=path.parent)


_BASES: contextvars.ContextVar[tuple[str, ...]] = contextvars.ContextVar("srzoo_recipe_bases", default=())
"""The chain of bases being resolved, to report a loop instead of recursing forever."""


def _resolve_base(data: Mapping[str, Any], source: str, base_dir: str | Path | None) -> dict[str, Any]:
    """Merge a variant's keys into its base's content (see ``docs/recipes.md``, "Variants")."""
    base = data["base"]
    if not isinstance(base, str) or not base:
        raise RecipeError(source, "base", f"expected a registered recipe name or a .toml path, got {base!r}")
    is_path = base.endswith(".toml")
    key = str((Path(base_dir or ".") / base).resolve()) if is_path else base
    chain = _BASES.get()
    if key in chain:
        loop = " -> ".join([*chain[chain.index(key) :], key])
        raise RecipeError(source, "base", f"the chain of bases loops: {loop}")
    token = _BASES.set((*chain, key))
    try:
        if is_path:
            parent = load_recipe(key)
        else:
            parent = get_recipe(base)
    except RecipeError as exc:
        if exc.key == "base" and "loops" in exc.problem:
            raise
        raise RecipeError(source, "base", f"the base {base!r} does not load: {exc}") from None
    except SrzooError as exc:
        raise RecipeError(source, "base", str(exc)) from None
    finally:
        _BASES.reset(token)
    return merge_variant(parent.to_dict(), {k: v for k, v in data.items() if k != "base"}, source)


# --------------------------------------------------------------------------- registered recipes, parsed once

_PARSED: dict[str, tuple[object, Recipe]] = {}
"""Registered name -> (its registry entry, the parsed recipe); an entry replaced by a plugin
(re)load no longer matches, so its recipe is parsed again."""
_WITH_OVERRIDES: dict[tuple[str, Any], tuple[Recipe, Recipe]] = {}
"""(name, frozen overrides) -> (the recipe they apply to, the recipe with them)."""


def get_recipe(name: str | Path) -> Recipe:
    """The parsed recipe registered as ``name``, or read from a ``.toml`` path.

    A registered recipe is parsed once and kept (recipes are immutable); a path is read every time.

    Raises:
        UnknownNameError: an unregistered name (with suggestions).
        RecipeError: a recipe that does not validate (naming its file and key).
        SrzooError: ``name`` is neither a string nor a path.
    """
    if isinstance(name, Path) or (isinstance(name, str) and name.endswith(".toml")):
        return load_recipe(name)
    if not isinstance(name, str):
        raise SrzooError(
            f"a recipe is named by a string (e.g. 'bicubic-x4') or a .toml path, got {type(name).__name__} {name!r}"
        )
    entry = loader.registry().get("recipe", name)
    cached = _PARSED.get(name)
    if cached is not None and cached[0] is entry:
        return cached[1]
    recipe = _parse_registered(name, entry.target, entry.plugin)
    _PARSED[name] = (entry, recipe)
    return recipe


def _parse_registered(name: str, target: object, plugin: str) -> Recipe:
    if isinstance(target, Recipe):
        recipe = target
    elif isinstance(target, (str, Path)):
        recipe = load_recipe(target)
    elif isinstance(target, dict):
        recipe = parse_recipe(target, source=f"recipe {name!r} of plugin {plugin!r}")
    else:
        raise SrzooError(
            f"recipe {name!r} from plugin {plugin!r} is a {type(target).__name__}; "
            "expected a TOML path, a dict or a srzoo.Recipe"
        )
    if recipe.name != name:
        raise RecipeError(
            recipe.source, "name", f"the file says {recipe.name!r} but it is registered as {name!r}"
        )
    return recipe


def recipe_with(name: str | Path | Recipe, overrides: Mapping[str, Any]) -> Recipe:
    """`get_recipe` (or ``name`` itself, a [`Recipe`][srzoo.Recipe]) with ``overrides`` applied
    (`Recipe.with_overrides`); a registered name with the same overrides is parsed once."""
    recipe = name if isinstance(name, Recipe) else get_recipe(name)
    if not overrides:
        return recipe
    key = (recipe.name, _frozen(overrides)) if isinstance(name, str) and not name.endswith(".toml") else None
    try:
        cached = _WITH_OVERRIDES.get(key) if key is not None else None
    except TypeError:  # an unhashable value: nothing to share
        key, cached = None, None
    if cached is not None and cached[0] is recipe:
        return cached[1]
    result = recipe.with_overrides(overrides)
    if key is not None:
        _WITH_OVERRIDES[key] = (recipe, result)
    return result


def _frozen(value: Any) -> Any:
    """A hashable, order-independent stand-in for a TOML-like value (type-tagged: 1 is not True)."""
    if isinstance(value, Mapping):
        return ("table", tuple(sorted((str(k), _frozen(v)) for k, v in value.items())))
    if isinstance(value, (list, tuple)):
        return ("list", tuple(_frozen(v) for v in value))
    return (type(value).__name__, value)
