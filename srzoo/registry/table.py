"""One table of registered components per kind, filled by plugins.

The tables are filled lazily: the first lookup loads every plugin of the ``srzoo`` entry-point group
once (see `srzoo.registry.loader`). Factories registered as ``"module:attribute"`` strings are imported
only when the component is first built.
"""

from __future__ import annotations

import pkgutil
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from ..errors import DuplicateNameError, SrzooError, UnknownNameError
from .component_info import ComponentInfo

__all__ = ["KINDS", "Entry", "Registry"]

KINDS: tuple[str, ...] = (
    "generator",
    "discriminator",
    "degradation",
    "loss",
    "metric",
    "dataset",
    "recipe",
)
"""The kinds of component a plugin can register, in display order."""


@dataclass(frozen=True)
class Entry:
    """One registered component.

    Attributes:
        kind: one of [`KINDS`][].
        name: the registered name, unique within its kind.
        target: a callable factory, a ``"module:attribute"`` reference to one, or (for recipes) a
            path to a TOML file or a [`srzoo.Recipe`][].
        plugin: the name of the plugin that registered it.
        metadata: the typed metadata given at registration (paper, license, geometry, ...),
            checked by `ComponentInfo.from_registration`.
    """

    kind: str
    name: str
    target: Any
    plugin: str
    metadata: ComponentInfo = field(default_factory=ComponentInfo)

    def load(self) -> Any:
        """Return the factory, importing a lazy ``"module:attribute"`` reference on first use."""
        target = self.target
        if not isinstance(target, str):
            return target
        module_name, sep, attribute = target.partition(":")
        if not sep or not module_name or not attribute:
            raise SrzooError(
                f"{self.kind} {self.name!r} from plugin {self.plugin!r} has the factory {target!r}; "
                "expected 'package.module:attribute'"
            )
        return resolve_reference(target, f"{self.kind} {self.name!r} from plugin {self.plugin!r}")


def resolve_reference(reference: str, owner: str) -> Any:
    """Import ``"package.module:attr.path"`` (`pkgutil.resolve_name`); ``owner`` (e.g. ``"generator
    'unet' from plugin 'x'"``) starts the one-line [`SrzooError`][srzoo.SrzooError] raised when it does not import."""
    try:
        return pkgutil.resolve_name(reference)
    except (ImportError, AttributeError, ValueError) as exc:
        raise SrzooError(f"{owner} could not load {reference!r}: {type(exc).__name__}: {exc}") from exc


@dataclass(frozen=True)
class _Conflict:
    """A name that two plugins registered; looking it up raises."""

    first: Entry
    second: Entry


class Registry:
    """The tables of registered components, one per kind.

    Registration never raises for a clash: a name registered twice is kept as a conflict, so that
    everything else keeps working, and looking that name up raises
    [`DuplicateNameError`][] naming both plugins.
    """

    def __init__(self) -> None:
        self._tables: dict[str, dict[str, Entry | _Conflict]] = {kind: {} for kind in KINDS}

    def add(self, entry: Entry) -> None:
        """Add ``entry`` to its kind's table (a clash becomes a conflict, see the class doc)."""
        if entry.kind not in self._tables:
            raise SrzooError(f"unknown kind {entry.kind!r}; expected one of {', '.join(KINDS)}")
        table = self._tables[entry.kind]
        existing = table.get(entry.name)
        if existing is None:
            table[entry.name] = entry
        elif isinstance(existing, Entry):
            table[entry.name] = _Conflict(existing, entry)
        # a third registration of a conflicting name changes nothing: the first two are named

    def get(self, kind: str, name: str) -> Entry:
        """Return the entry for ``name``; raise with suggestions or naming both plugins of a clash."""
        table = self._table(kind)
        found = table.get(name)
        if found is None:
            raise UnknownNameError(kind, name, table)
        if isinstance(found, _Conflict):
            raise DuplicateNameError(kind, name, found.first.plugin, found.second.plugin)
        return found

    def names(self, kind: str) -> list[str]:
        """Registered names of ``kind`` in sorted order, clashing names included."""
        return sorted(self._table(kind))

    def entries(self, kind: str) -> Iterator[Entry]:
        """The usable (non-clashing) entries of ``kind`` in name order."""
        table = self._table(kind)
        for name in sorted(table):
            found = table[name]
            if isinstance(found, Entry):
                yield found

    def conflicts(self) -> list[DuplicateNameError]:
        """One error per clashing name, for ``srzoo plugins``."""
        return [
            DuplicateNameError(kind, name, found.first.plugin, found.second.plugin)
            for kind, table in self._tables.items()
            for name, found in sorted(table.items())
            if isinstance(found, _Conflict)
        ]

    def by_plugin(self, plugin: str) -> dict[str, list[str]]:
        """What ``plugin`` registered: kind -> names (clashing names included)."""
        result: dict[str, list[str]] = {}
        for kind, table in self._tables.items():
            for name, found in sorted(table.items()):
                owners = (found.first, found.second) if isinstance(found, _Conflict) else (found,)
                if any(owner.plugin == plugin for owner in owners):
                    result.setdefault(kind, []).append(name)
        return result

    def _table(self, kind: str) -> Mapping[str, Entry | _Conflict]:
        try:
            return MappingProxyType(self._tables[kind])
        except (KeyError, TypeError):  # TypeError: an unhashable kind such as a list
            raise UnknownNameError("kind", kind, KINDS) from None


def make_register(kind: str, plugin: str, into: list[Entry]) -> Callable[..., None]:
    """Return the ``register(name, factory, **metadata)`` callable handed to one plugin's hook.

    ``metadata`` becomes a `ComponentInfo`; unknown keys and values of the
    wrong type raise `SrzooError` naming the plugin (the plugin is then shown as
    broken, and none of its registrations are kept).

    Entries are collected in ``into`` and added by the caller only once the hook returned, so a hook
    that raises half-way registers nothing.
    """

    def register(name: str, factory: Any, **metadata: Any) -> None:
        if not isinstance(name, str) or not name:
            raise SrzooError(
                f"plugin {plugin!r} registered a {kind} named {name!r}; expected a non-empty string"
            )
        if factory is None:
            raise SrzooError(f"plugin {plugin!r} registered {kind} {name!r} without a factory")
        info = ComponentInfo.from_registration(metadata, kind=kind, name=name, plugin=plugin)
        into.append(Entry(kind, name, factory, plugin, info))

    return register
