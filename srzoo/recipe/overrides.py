"""Overrides: ``Recipe.with_overrides`` and ``--set KEY=VALUE`` applied to a recipe's tables."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import RecipeError
from .merge import merge_tables

__all__ = ["FIXED_KEYS", "apply_override"]

FIXED_KEYS: dict[str, str] = {
    "name": "the name cannot be overridden; write a variant recipe (base = ...) under a new name",
    "nodes": "the graph cannot be overridden; write a variant recipe (base = ...) instead",
    "base": "a recipe's base cannot be overridden; write a variant recipe (base = ...) instead",
    "weights": "'weights' is not a recipe key; pass weights= to srzoo.build (CLI: --weights PATH)",
    "pretrained": "a recipe's shipped weights cannot be overridden; pass pretrained=True to srzoo.build "
    "(CLI: --pretrained) or weights= (CLI: --weights PATH)",
}
"""Keys an override may not set, and what to do instead."""


def apply_override(data: dict[str, Any], key: Any, value: Any, source: str) -> None:
    """Apply one override (see `Recipe.with_overrides`) to ``data``
    in place; ``data`` is a recipe's ``to_dict()``."""
    if not isinstance(key, str) or not key:
        raise RecipeError(source, str(key), f"an override key must be a non-empty string, got {key!r}")
    head, _, rest = key.partition(".")
    nodes = data.get("nodes", [])
    node = _named(nodes, head)
    # a training critic is addressed by its name too (d0.ndf), unless a node has that name
    critic = None if node is not None else _named(_critic_tables(data), head)
    if node is not None or critic is not None:
        owner, what = (node, "node") if node is not None else (critic, "critic")
        args = owner.setdefault("args", {})
        if rest:
            _set_dotted(args, rest, value, source, key, none_deletes=False)
        elif isinstance(value, Mapping):
            owner["args"] = merge_tables(args, value)
        else:
            raise RecipeError(
                source, head, f"override of {what} {head!r} must be a table of arguments, got {value!r}"
            )
    elif head in FIXED_KEYS:
        raise RecipeError(source, key, FIXED_KEYS[head])
    elif head == "train":
        if rest:
            _set_dotted(data.setdefault("train", {}), rest, value, source, key, none_deletes=True)
        elif isinstance(value, Mapping):
            data["train"] = merge_tables(data.get("train", {}), value)
        elif value is None:
            data.pop("train", None)
        else:
            raise RecipeError(source, key, "expected a dotted key such as 'train.epochs', or a table")
    elif rest:
        known = [str(n.get("name")) for n in nodes if isinstance(n, dict)]
        critics = [str(c.get("name")) for c in _critic_tables(data) if isinstance(c, dict)]
        also = f"; critics: {', '.join(critics)}" if critics else ""
        raise RecipeError(source, key, f"no node named {head!r}; nodes: {', '.join(known)}{also}")
    elif value is None:
        data.pop(key, None)  # back to the field's default
    else:
        data[key] = value  # a top-level field; parse_recipe rejects unknown ones


def _named(tables: Any, name: str) -> dict[str, Any] | None:
    """The table called ``name`` in a list of ``[[nodes]]`` or ``[[train.critics]]`` tables."""
    return next((t for t in tables if isinstance(t, dict) and t.get("name") == name), None)


def _critic_tables(data: Mapping[str, Any]) -> list[Any]:
    train = data.get("train")
    critics = train.get("critics", []) if isinstance(train, Mapping) else []
    return critics if isinstance(critics, list) else []


def _set_dotted(
    table: dict[str, Any], dotted: str, value: Any, source: str, key: str, *, none_deletes: bool
) -> None:
    *parents, last = dotted.split(".")
    for index, part in enumerate(parents):
        child = table.get(part)
        if part == "critics" and isinstance(child, list) and index + 1 < len(parents):
            # train.critics.NAME.KEY: the critic called NAME
            name = parents[index + 1]
            critic = next((c for c in child if isinstance(c, dict) and c.get("name") == name), None)
            if critic is None:
                names = ", ".join(str(c.get("name")) for c in child if isinstance(c, dict)) or "none"
                raise RecipeError(source, key, f"no critic named {name!r}; critics: {names}")
            _set_dotted(
                critic, ".".join([*parents[index + 2 :], last]), value, source, key, none_deletes=none_deletes
            )
            return
        if child is None:
            child = table[part] = {}
        if not isinstance(child, dict):
            raise RecipeError(source, key, f"{part!r} is not a table, so it has no key {last!r}")
        table = child
    if value is None and none_deletes:
        table.pop(last, None)
    else:
        table[last] = value
