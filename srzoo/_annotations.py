"""Checking values against a factory's type annotations, for recipe arguments and ``--set`` values.

Leniently: a value is refused only when it is plainly of another TOML-like type than the annotation
says (a string for an ``int``, ``"False"`` for a ``bool``, a float for an ``int``); objects srzoo
does not know (tensors, arrays, custom classes) and annotations it cannot read are accepted.
"""

from __future__ import annotations

import inspect
import os
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from pathlib import PurePath
from typing import Any

__all__ = ["accepts", "describe", "parameter_annotations"]

_PLAIN = (str, bool, int, float, list, tuple, dict, type(None))
"""The types a TOML value or a ``--set`` value can have (plus ``None``)."""


def parameter_annotations(factory: Callable[..., Any]) -> dict[str, Any]:
    """The factory's parameter annotations, evaluated where possible (empty when unreadable)."""
    try:
        signature = inspect.signature(factory, eval_str=True)
    except Exception:  # noqa: BLE001 - unresolvable string annotations, builtins: nothing to check
        try:
            signature = inspect.signature(factory)
        except (TypeError, ValueError):
            return {}
    return {
        name: param.annotation
        for name, param in signature.parameters.items()
        if param.annotation is not inspect.Parameter.empty and not isinstance(param.annotation, str)
    }


def _is_plain(value: Any) -> bool:
    return isinstance(value, (*_PLAIN, Mapping))


def accepts(annotation: Any, value: Any) -> bool:
    """Whether ``value`` fits ``annotation`` (see the module doc for how lenient this is)."""
    if annotation is Any or annotation is inspect.Parameter.empty or isinstance(annotation, str):
        return True
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Union or origin is types.UnionType:
        return any(accepts(arg, value) for arg in args)
    if origin is typing.Literal:
        return value in args
    if annotation is None or annotation is type(None):
        return value is None
    if not _is_plain(value):
        return True  # an object srzoo does not know: let the factory judge it
    if annotation is bool:
        return isinstance(value, bool)
    if annotation is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if annotation is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if annotation is str:
        return isinstance(value, str)
    if isinstance(annotation, type) and issubclass(annotation, (PurePath, os.PathLike)):
        return isinstance(value, str)
    container = origin or annotation
    if container in (list, tuple) or container in _SEQUENCES:
        if not isinstance(value, (list, tuple)):
            return False
        if origin is tuple and args and args[-1] is not Ellipsis:
            return len(value) == len(args) and all(accepts(a, v) for a, v in zip(args, value, strict=True))
        return not args or all(accepts(args[0], v) for v in value)
    if container in (dict,) or container in _MAPPINGS:
        return isinstance(value, Mapping)
    if isinstance(annotation, type) and annotation in _PLAIN:
        return isinstance(value, annotation)
    return True


def describe(annotation: Any) -> str:
    """The annotation in words, e.g. ``"true or false"``, ``"an integer or None"``."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Union or origin is types.UnionType:
        return " or ".join(dict.fromkeys(describe(arg) for arg in args))
    if origin is typing.Literal:
        return "one of " + ", ".join(repr(arg) for arg in args)
    names = {
        bool: "true or false",
        int: "an integer",
        float: "a number",
        str: "a string",
        type(None): "None",
        None: "None",
    }
    if annotation in names:
        return names[annotation]
    container = origin or annotation
    if container in (list, tuple) or container in _SEQUENCES:
        if origin is tuple and args and args[-1] is not Ellipsis:
            if len(set(args)) == 1:
                return f"a list of {len(args)} {_plural(args[0])}"
            return f"a list of {len(args)} items ({', '.join(describe(arg) for arg in args)})"
        return f"a list of {_plural(args[0])}" if args else "a list"
    if container in (dict,) or container in _MAPPINGS:
        return "a table"
    return getattr(annotation, "__name__", str(annotation))


def _plural(annotation: Any) -> str:
    """``"numbers"`` for ``float``, ``"integers"`` for ``int``...: a list's items in words."""
    plural = {bool: "booleans", int: "integers", float: "numbers", str: "strings"}
    return plural.get(annotation, describe(annotation))


_SEQUENCES = (typing.Sequence, Sequence)
_MAPPINGS = (typing.Mapping, Mapping)
