"""Plugin discovery and loading: the entry-point group ``srzoo``, loaded lazily and once."""

from __future__ import annotations

import importlib.metadata
import threading
import warnings
from dataclasses import dataclass, field
from typing import Any

import pluggy

from . import hookspecs
from .errors import SrzooError
from .registry import KINDS, Entry, Registry, make_register

ENTRY_POINT_GROUP = "srzoo"

_HOOK_OF_KIND: dict[str, str] = {
    "generator": "srzoo_register_generators",
    "discriminator": "srzoo_register_discriminators",
    "degradation": "srzoo_register_degradations",
    "loss": "srzoo_register_losses",
    "metric": "srzoo_register_metrics",
    "dataset": "srzoo_register_datasets",
    "recipe": "srzoo_register_recipes",
}
assert tuple(_HOOK_OF_KIND) == KINDS


class PluginWarning(UserWarning):
    """Warned when a plugin fails to import or raises in a hook; srzoo keeps working without it."""


@dataclass(frozen=True)
class PluginInfo:
    """A loaded (or broken) plugin, as shown by ``srzoo plugins``.

    Attributes:
        name: the entry-point name (or the name given to [`srzoo.register_plugin`][]).
        distribution: the installed distribution that declares it, ``None`` for one registered at run time.
        version: that distribution's version.
        value: the entry point's value, e.g. ``"srzoo_plugins.stagegan"``.
        error: ``None`` for a working plugin, else what went wrong (one line).
    """

    name: str
    distribution: str | None
    version: str | None
    value: str
    error: str | None = None


@dataclass
class _State:
    manager: pluggy.PluginManager
    registry: Registry = field(default_factory=Registry)
    plugins: dict[str, PluginInfo] = field(default_factory=dict)


_lock = threading.RLock()
_state: _State | None = None
_extra: list[tuple[str, Any]] = []  # plugins registered at run time, re-applied after a reset


def _new_manager() -> pluggy.PluginManager:
    manager = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    manager.add_hookspecs(hookspecs)
    return manager


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".rstrip(": ")


def _mark_broken(state: _State, info: PluginInfo, error: str) -> None:
    state.plugins[info.name] = PluginInfo(info.name, info.distribution, info.version, info.value, error)
    warnings.warn(
        f"srzoo plugin {info.name!r} ({info.value}) is broken and was skipped: {error}",
        PluginWarning,
        stacklevel=4,
    )


def _register_hooks(state: _State, info: PluginInfo, plugin: Any) -> None:
    """Call each hook of one plugin, committing its registrations only if every hook succeeds."""
    try:
        state.manager.register(plugin, name=info.name)
    except Exception as exc:  # noqa: BLE001 - pluggy rejects bad hook signatures and duplicate names
        _mark_broken(state, info, _describe(exc))
        return
    collected: list[Entry] = []
    for kind, hook_name in _HOOK_OF_KIND.items():
        for impl in getattr(state.manager.hook, hook_name).get_hookimpls():
            if impl.plugin_name != info.name:
                continue
            try:
                impl.function(register=make_register(kind, info.name, collected))
            except Exception as exc:  # noqa: BLE001 - a plugin may raise anything; srzoo carries on
                state.manager.unregister(name=info.name)
                _mark_broken(state, info, f"{hook_name} raised {_describe(exc)}")
                return
    for entry in collected:
        state.registry.add(entry)
    state.plugins[info.name] = info


def _load() -> _State:
    state = _State(_new_manager())
    for entry_point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        dist = entry_point.dist
        info = PluginInfo(
            entry_point.name,
            dist.name if dist is not None else None,
            dist.version if dist is not None else None,
            entry_point.value,
        )
        if info.name in state.plugins:  # the same distribution seen twice on sys.path
            continue
        try:
            plugin = entry_point.load()
        except Exception as exc:  # noqa: BLE001 - a plugin's import may raise anything
            _mark_broken(state, info, f"import failed: {_describe(exc)}")
            continue
        _register_hooks(state, info, plugin)
    for name, plugin in _extra:
        _register_hooks(state, PluginInfo(name, None, None, repr(plugin)), plugin)
    return state


def state() -> _State:
    """The loaded plugins and registry, loading every entry point on first call."""
    global _state
    with _lock:
        if _state is None:
            _state = _load()
        return _state


def registry() -> Registry:
    """The registry, filled by every plugin (loaded on first call)."""
    return state().registry


def register_plugin(plugin: Any, name: str | None = None) -> str:
    """Register a plugin object or module at run time, without packaging it.

    Useful in notebooks and tests. The plugin stays registered until [`unregister_plugin`][].

    Args:
        plugin: a module or object with functions decorated by [`srzoo.hookimpl`][].
        name: the plugin's name in messages and ``srzoo plugins``; defaults to the module's name.

    Returns:
        The name the plugin was registered under.

    Raises:
        SrzooError: a plugin of that name is already registered.
    """
    name = name or getattr(plugin, "__name__", None) or type(plugin).__name__
    with _lock:
        loaded = state()
        if name in loaded.plugins:
            raise SrzooError(f"a plugin named {name!r} is already registered; pass another name=")
        _register_hooks(loaded, PluginInfo(name, None, None, repr(plugin)), plugin)
        if loaded.plugins[name].error is None:  # a broken plugin is reported once, not on every reload
            _extra.append((name, plugin))
    return name


def unregister_plugin(name: str) -> None:
    """Remove a plugin registered with [`register_plugin`][] and what it registered."""
    global _state
    with _lock:
        if name not in (n for n, _ in _extra):
            raise SrzooError(
                f"no plugin named {name!r} was registered with srzoo.register_plugin; "
                "installed plugins are removed by uninstalling their distribution"
            )
        _extra[:] = [(n, p) for n, p in _extra if n != name]
        _state = None  # rebuilt on next use, cheaply: entry points are imported once by Python


def reload() -> None:
    """Forget loaded plugins so the next lookup discovers entry points again (after a pip install)."""
    global _state
    with _lock:
        importlib.invalidate_caches()
        _state = None
