"""Looking up and creating registered components: ``srzoo.create``, ``srzoo.list_components``...

Every argument is checked against the factory's signature and annotations before it is called, so
a misspelt or mistyped argument is one line naming the component, not a traceback from inside it.
"""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Callable
from typing import Any

from .._annotations import accepts, parameter_annotations
from .._annotations import describe as describe_annotation
from ..errors import SrzooError, UnknownNameError
from . import loader
from .table import KINDS, Entry

__all__ = ["create", "describe", "list_components", "list_models"]

_COMPONENT_KINDS = tuple(kind for kind in KINDS if kind != "recipe")


def list_components(kind: str) -> list[str]:
    """Registered names of one kind, sorted.

    Args:
        kind: one of ``generator``, ``discriminator``, ``degradation``, ``loss``, ``metric``,
            ``dataset``, ``recipe``.

    Examples:
        >>> "bicubic" in srzoo.list_components("degradation")
        True
    """
    return loader.registry().names(kind)


def list_models() -> list[str]:
    """Names accepted by [`build`][] (the registered recipes), sorted."""
    return list_components("recipe")


def describe(kind: str, name: str) -> Entry:
    """The registry entry of one component: its plugin and metadata (paper, license, scales...).

    Raises:
        UnknownNameError: listing the closest registered names.
    """
    return loader.registry().get(kind, name)


def create(kind: str, name: str, **kwargs: Any) -> Any:
    """Build one registered component.

    Args:
        kind: ``generator``, ``discriminator``, ``degradation``, ``loss``, ``metric`` or ``dataset``.
        name: its registered name, e.g. ``"unet"`` or ``"bicubic"``.
        **kwargs: arguments of the component's factory.

    Returns:
        Whatever the factory returns: an ``nn.Module`` for networks, a callable for degradations,
        losses and metrics, a ``Dataset`` for datasets.

    Raises:
        UnknownNameError: an unknown kind or name (with suggestions).
        SrzooError: arguments the factory does not accept, or of a type its annotations refuse
            (e.g. the string ``"False"`` for a ``bool``).

    Examples:
        >>> down = srzoo.create("degradation", "bicubic", scale=4)
        >>> down(torch.rand(1, 3, 64, 64)).shape
        torch.Size([1, 3, 16, 16])
    """
    if kind not in _COMPONENT_KINDS:
        if kind == "recipe":
            raise SrzooError("recipes are built with srzoo.build(name), not srzoo.create('recipe', ...)")
        raise UnknownNameError("kind", kind, _COMPONENT_KINDS)
    entry = describe(kind, name)
    factory = entry.load()
    _check_arguments(entry, factory, kwargs)
    # the factory's own checks speak first; an argument of the wrong type that it let through (a
    # string "False" for a bool) is refused after, and one it crashed on is reported by its annotation
    mismatch = _annotation_mismatch(entry, factory, kwargs)
    try:
        component = factory(**kwargs)
    except SrzooError:
        raise
    except Exception:
        if mismatch is None:
            raise
        raise SrzooError(mismatch) from None
    if mismatch is not None:
        raise SrzooError(mismatch)
    return component


def _check_arguments(entry: Entry, factory: Callable[..., Any], kwargs: dict[str, Any]) -> None:
    try:
        signature = inspect.signature(factory)
    except (TypeError, ValueError):  # builtins without a signature: let the call speak
        return
    params = signature.parameters.values()
    accepted = [p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    takes_any = any(p.kind is p.VAR_KEYWORD for p in params)
    where = f"{entry.kind} {entry.name!r}"
    for key in kwargs:
        if key not in accepted and not takes_any:
            close = difflib.get_close_matches(key, accepted, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise SrzooError(
                f"{where} has no argument {key!r}{hint}; it accepts: {', '.join(accepted) or 'no arguments'}"
            )
    try:
        signature.bind(**kwargs)
    except TypeError as exc:
        raise SrzooError(f"{where}: {exc}; it accepts: {', '.join(accepted) or 'no arguments'}") from None


def _annotation_mismatch(entry: Entry, factory: Callable[..., Any], kwargs: dict[str, Any]) -> str | None:
    """A message for the first argument that plainly contradicts the factory's annotation."""
    annotations = parameter_annotations(factory)
    for key, value in kwargs.items():
        if key in annotations and not accepts(annotations[key], value):
            return (
                f"{entry.kind} {entry.name!r}: argument {key!r} expects "
                f"{describe_annotation(annotations[key])}, got {type(value).__name__} {value!r}"
            )
    return None
