"""Merging TOML-like recipe dicts: a variant into its base (overrides are `srzoo.recipe.overrides`).

Works on `Recipe.to_dict`'s form and leaves validation to
`parse_recipe`, so every result is checked by the one validator.

Variant rules (``docs/recipes.md``, "Variants"):

* tables merge key by key, recursively; any other value replaces the base's;
* ``name``, ``description``, ``published`` and ``pretrained`` are never inherited: they describe one recipe;
* ``[[nodes]]`` merge by ``name``, ``[[train.critics]]`` by ``name``, ``[[train.losses]]`` by
  ``(node, loss)``: an entry matching a base entry is merged into it (a changed component starts
  from empty ``args``), ``drop = true`` removes the base entry, any other entry is added at the end
  (a node may say ``after = "NAME"`` to be inserted after that node).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Hashable, Mapping
from typing import Any

from ..errors import RecipeError

NOT_INHERITED = ("name", "description", "published", "pretrained")
"""Top-level keys a variant never takes from its base."""

_NODE_KINDS = ("generator", "degradation")


def merge_tables(base: Mapping[str, Any], change: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` with ``change`` merged in: tables recursively, other values replaced."""
    merged = copy.deepcopy(dict(base))
    for key, value in change.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = merge_tables(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def merge_variant(base: Mapping[str, Any], variant: Mapping[str, Any], source: str) -> dict[str, Any]:
    """The content of a variant recipe: ``base`` (a recipe's ``to_dict()``) with ``variant``'s keys."""
    merged = {k: copy.deepcopy(v) for k, v in base.items() if k not in NOT_INHERITED}
    for key, value in variant.items():
        if key == "nodes":
            merged["nodes"] = _merge_list(
                base.get("nodes", []), value, source, "nodes", _by_name, _NODE_KINDS
            )
        elif key == "train" and isinstance(value, Mapping) and isinstance(merged.get("train"), Mapping):
            merged["train"] = _merge_train(merged["train"], value, source)
        elif isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = merge_tables(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _merge_train(base: Mapping[str, Any], change: Mapping[str, Any], source: str) -> dict[str, Any]:
    merged = copy.deepcopy(dict(base))
    for key, value in change.items():
        if key == "critics":
            merged[key] = _merge_list(
                base.get(key, []),
                value,
                source,
                "train.critics",
                _by_name,
                ("discriminator",),
            )
        elif key == "losses":
            merged[key] = _merge_list(
                base.get(key, []),
                value,
                source,
                "train.losses",
                _by_node_and_loss,
                ("loss",),
            )
        elif isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = merge_tables(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _by_name(entry: Mapping[str, Any], source: str, where: str) -> Hashable:
    name = entry.get("name")
    if not isinstance(name, str) or not name:
        raise RecipeError(
            source, f"{where}.name", "a variant's entry needs a name: the base entry to change, or a new one"
        )
    return name


def _by_node_and_loss(entry: Mapping[str, Any], source: str, where: str) -> Hashable:
    node, loss = entry.get("node"), entry.get("loss")
    if not isinstance(node, str) or not isinstance(loss, str):
        raise RecipeError(
            source, where, "a variant's loss term needs node and loss: the base term to change, or a new one"
        )
    return (node, loss)


def _merge_component(
    component_keys: tuple[str, ...],
) -> Callable[[Mapping[str, Any], Mapping[str, Any]], dict[str, Any]]:
    """Merge an entry into its base entry; naming another component drops the base's ``args``."""

    def merge(base: Mapping[str, Any], change: Mapping[str, Any]) -> dict[str, Any]:
        named = {k: change[k] for k in component_keys if k in change}
        current = {k: base[k] for k in component_keys if k in base}
        if named and named != current:
            base = {k: v for k, v in base.items() if k not in (*component_keys, "args")}
        return merge_tables(base, change)

    return merge


def _merge_list(
    base: list[Any],
    changes: Any,
    source: str,
    path: str,
    key_of: Callable[[Mapping[str, Any], str, str], Hashable],
    component_keys: tuple[str, ...],
) -> list[Any]:
    merge = _merge_component(component_keys)
    if not isinstance(changes, list):
        raise RecipeError(source, path, f"expected a list of tables, got {type(changes).__name__}")
    merged = [copy.deepcopy(entry) for entry in base]
    keys = [key_of(entry, source, f"{path}[{i}]") for i, entry in enumerate(merged)]
    for i, change in enumerate(changes):
        where = f"{path}[{i}]"
        if not isinstance(change, Mapping):
            raise RecipeError(source, where, f"expected a table, got {type(change).__name__}")
        key = key_of(change, source, where)
        change = dict(change)
        drop = change.pop("drop", False)
        after = change.pop("after", None)
        if not isinstance(drop, bool):
            raise RecipeError(source, f"{where}.drop", f"expected true or false, got {drop!r}")
        matches = [j for j, k in enumerate(keys) if k == key]
        if len(matches) > 1:
            raise RecipeError(source, where, f"{_show(key)} matches {len(matches)} entries of the base")
        if drop:
            if not matches:
                raise RecipeError(source, f"{where}.drop", f"the base has no entry {_show(key)} to drop")
            del merged[matches[0]], keys[matches[0]]
        elif matches:
            if after is not None:
                raise RecipeError(source, f"{where}.after", "only a new entry can be placed with after")
            merged[matches[0]] = merge(merged[matches[0]], change)
        else:
            if not any(k in change for k in component_keys):
                named = " or ".join(f"{k} = ..." for k in component_keys)
                raise RecipeError(
                    source,
                    where,
                    f"{_show(key)} matches no entry of the base ({', '.join(_show(k) for k in keys)}); "
                    f"fix the name, or give a new entry its {named}",
                )
            position = len(merged)
            if after is not None:
                if after not in keys:
                    raise RecipeError(source, f"{where}.after", f"the base has no entry named {after!r}")
                position = keys.index(after) + 1
            merged.insert(position, change)
            keys.insert(position, key)
    return merged


def _show(key: Hashable) -> str:
    return f"(node {key[0]!r}, loss {key[1]!r})" if isinstance(key, tuple) else repr(key)
