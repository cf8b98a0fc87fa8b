"""Plugin discovery and loading: the entry-point group ``srzoo``, loaded lazily and once.

Every hook is called through pluggy, one plugin at a time (``PluginManager.subset_hook_caller``), so
that a plugin that fails is isolated: its registrations are dropped, it is shown as broken by
``srzoo plugins`` and a [`PluginWarning`][srzoo.registry.loader.PluginWarning] says why, and srzoo carries on.

Isolated failures: anything a plugin raises at import or in a hook, including ``SystemExit`` and
other ``BaseException`` subclasses; an unknown (e.g. misspelt) hook name (``pm.check_pending()``);
a hook function lacking ``@srzoo.hookimpl``; a bad hook signature; a factory that is neither callable
nor a ``"module:attribute"`` string.
``KeyboardInterrupt`` is the exception: while plugins load, srzoo watches SIGINT (main thread), and a
``KeyboardInterrupt`` that follows a real Ctrl-C is re-raised (the user wants out), while one a plugin
raises by itself is isolated like any other error. Off the main thread, where signals cannot be
watched, every ``KeyboardInterrupt`` is re-raised.

``SRZOO_LOAD_PLUGINS`` narrows which entry points load: unset loads all, an empty string none, and
``"stagegan,recipes"`` only those (plugins added with [`srzoo.register_plugin`][srzoo.register_plugin]
always load).
"""

from __future__ import annotations

import difflib
import importlib.metadata
import os
import re
import signal
import threading
import types
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import pluggy

from .. import hookspecs
from ..errors import SrzooError
from .commands import Command, CommandLine
from .table import KINDS, Entry, Registry, make_register

ENTRY_POINT_GROUP = "srzoo"
LOAD_PLUGINS_ENV = "SRZOO_LOAD_PLUGINS"
"""Environment variable: comma-separated entry-point names to load ("" = none; unset = all)."""

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
_CHARTS_HOOK = "srzoo_register_charts"
_COMMANDS_HOOK = "srzoo_register_commands"
_CHECKPOINTS_HOOK = "srzoo_register_checkpoint_formats"
_LOGGERS_HOOK = "srzoo_register_loggers"
_HOOK_NAMES = (*_HOOK_OF_KIND.values(), _CHARTS_HOOK, _CHECKPOINTS_HOOK, _LOGGERS_HOOK, _COMMANDS_HOOK)

_MODULE = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*")
_REFERENCE = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*:[A-Za-z_]\w*(\.[A-Za-z_]\w*)*")


class PluginWarning(UserWarning):
    """Warned when a plugin fails to import or raises in a hook; srzoo keeps working without it."""


@dataclass(frozen=True)
class PluginInfo:
    """A loaded (or broken) plugin, as shown by ``srzoo plugins``.

    Attributes:
        name: the entry-point name (or the name given to [`srzoo.register_plugin`][srzoo.register_plugin]).
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
    charts: dict[str, Entry] = field(default_factory=dict)
    commands: dict[str, Command] = field(default_factory=dict)
    checkpoint_formats: dict[str, Entry] = field(default_factory=dict)
    """Checkpoint readers by lower-case file suffix (``".pth"``)."""
    loggers: dict[str, Entry] = field(default_factory=dict)
    """Training loggers by name (``"tensorboard"``), for ``srzoo train --logger NAME``."""
    clashes: list[str] = field(default_factory=list)
    """One line per chart, checkpoint format, logger or command name that two plugins registered
    (both are hidden)."""
    _taken: dict[tuple[str, str], str] = field(default_factory=dict)


_lock = threading.RLock()
_state: _State | None = None
_loading = False  # set while _load runs (in the thread holding _lock)
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


class _InterruptWatch:
    """Tells a user's Ctrl-C from a ``KeyboardInterrupt`` that a plugin raises by itself.

    While active (main thread only), a SIGINT handler records the signal and then behaves as the
    previous handler did. [`user_interrupted`][srzoo.registry.loader._InterruptWatch.user_interrupted] is true
    after a real SIGINT, or always when the handler could not be installed.
    """

    def __init__(self) -> None:
        self.pressed = False
        self.installed = False

    @contextmanager
    def active(self) -> Iterator[_InterruptWatch]:
        previous: Any = None
        if threading.current_thread() is threading.main_thread():
            try:
                previous = signal.getsignal(signal.SIGINT)
                signal.signal(signal.SIGINT, self._handler(previous))
                self.installed = True
            except (ValueError, OSError):  # not the main interpreter, or no signals here
                self.installed = False
        try:
            yield self
        finally:
            if self.installed:
                signal.signal(signal.SIGINT, previous)
                self.installed = False

    def _handler(self, previous: Any) -> Callable[[int, Any], None]:
        def handler(signum: int, frame: Any) -> None:
            self.pressed = True
            if previous is signal.SIG_IGN:
                return
            if callable(previous):
                previous(signum, frame)
                return
            raise KeyboardInterrupt  # SIG_DFL or a handler set outside Python

        return handler

    def user_interrupted(self) -> bool:
        return self.pressed or not self.installed


class _PluginProxy:
    """An identity-hashable stand-in for an unhashable plugin object (e.g. a ``SimpleNamespace``):
    pluggy keeps plugins in sets. The target's attributes are copied onto the proxy, because pluggy
    (1.7 and later) finds hooks with ``inspect.getattr_static``, which sees no delegated attributes."""

    def __init__(self, target: Any) -> None:
        object.__setattr__(self, "_target", target)
        for name in dir(target):
            if not name.startswith("__"):
                try:
                    object.__setattr__(self, name, getattr(target, name))
                except AttributeError:  # a property that raises: not a hook
                    continue

    def __getattr__(self, name: str) -> Any:
        return getattr(object.__getattribute__(self, "_target"), name)

    def __dir__(self) -> list[str]:
        return dir(object.__getattribute__(self, "_target"))

    def __repr__(self) -> str:
        return repr(object.__getattribute__(self, "_target"))


def _hashable(plugin: Any) -> Any:
    try:
        hash(plugin)
    except TypeError:
        return _PluginProxy(plugin)
    return plugin


def _is_factory(factory: Any) -> bool:
    return callable(factory) or (isinstance(factory, str) and bool(_REFERENCE.fullmatch(factory)))


def _checked_register(kind: str, plugin: str, collected: list[Entry]) -> Callable[..., None]:
    """``register`` for one plugin's hook: also refuses factories that cannot build anything."""
    register = make_register(kind, plugin, collected)

    def checked(name: str, factory: Any, **metadata: Any) -> None:
        if kind != "recipe" and factory is not None and not _is_factory(factory):
            raise SrzooError(
                f"plugin {plugin!r} registered {kind} {name!r} with the factory {factory!r}; expected a "
                "callable or a 'package.module:attribute' string"
            )
        register(name, factory, **metadata)

    return checked


def _chart_register(plugin: str, collected: list[Entry]) -> Callable[..., None]:
    def register(name: str, draw: Any, **metadata: Any) -> None:
        if not isinstance(name, str) or not name:
            raise SrzooError(
                f"plugin {plugin!r} registered a chart named {name!r}; expected a non-empty string"
            )
        if not _is_factory(draw):
            raise SrzooError(
                f"plugin {plugin!r} registered chart {name!r} with {draw!r}; expected a callable "
                "draw(size) or a 'package.module:attribute' string"
            )
        collected.append(Entry("chart", name, draw, plugin, MappingProxyType(dict(metadata))))

    return register


def _checkpoint_register(plugin: str, collected: list[Entry]) -> Callable[..., None]:
    def register(suffix: str, load: Any, **metadata: Any) -> None:
        if not isinstance(suffix, str) or not re.fullmatch(r"\.[A-Za-z0-9_]+", suffix):
            raise SrzooError(
                f"plugin {plugin!r} registered a checkpoint format {suffix!r}; expected a file suffix "
                "such as '.pth'"
            )
        if not _is_factory(load):
            raise SrzooError(
                f"plugin {plugin!r} registered checkpoint format {suffix!r} with {load!r}; expected a "
                "callable load(path, name) or a 'package.module:attribute' string"
            )
        collected.append(
            Entry("checkpoint format", suffix.lower(), load, plugin, MappingProxyType(dict(metadata)))
        )

    return register


def _logger_register(plugin: str, collected: list[Entry]) -> Callable[..., None]:
    def register(name: str, factory: Any, **metadata: Any) -> None:
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z0-9][\w.-]*", name):
            raise SrzooError(
                f"plugin {plugin!r} registered a logger named {name!r}; expected a name of letters, "
                "digits, '_', '.' or '-'"
            )
        if not _is_factory(factory):
            raise SrzooError(
                f"plugin {plugin!r} registered logger {name!r} with {factory!r}; expected a callable "
                "factory() or a 'package.module:attribute' string"
            )
        collected.append(Entry("logger", name, factory, plugin, MappingProxyType(dict(metadata))))

    return register


def _unknown_hook(exc: pluggy.PluginValidationError) -> str:
    found = re.search(r"unknown hook '([^']+)'", str(exc))
    if found is None:
        return _describe(exc)
    name = found.group(1)
    close = difflib.get_close_matches(name, _HOOK_NAMES, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else f"; srzoo's hooks: {', '.join(_HOOK_NAMES)}"
    return f"unknown hook {name!r}{hint}"


def _invalid_hook(exc: pluggy.PluginValidationError) -> str:
    """pluggy's three-line message as one line: the hook, its definition and what is wrong with it."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    hook = re.search(r"for hook '([^']+)'", lines[0]) if lines else None
    prefix = "hookimpl definition: "
    definition = next((line.removeprefix(prefix) for line in lines if line.startswith(prefix)), None)
    if hook is None or definition is None:
        return _describe(exc)
    reason = "; ".join(line for line in lines[1:] if not line.startswith(prefix))
    return (
        f"invalid hook {hook.group(1)!r} (defined as {definition}): {reason} "
        "(srzoo's register hooks take 'register', the commands hook 'cli')"
    )


def _undecorated_hooks(manager: pluggy.PluginManager, plugin: Any) -> list[str]:
    """srzoo hook names that ``plugin`` defines without ``@srzoo.hookimpl`` (pluggy ignores those)."""
    return [
        name
        for name in _HOOK_NAMES
        if callable(getattr(plugin, name, None)) and manager.parse_hookimpl_opts(plugin, name) is None
    ]


def _register_hooks(state: _State, info: PluginInfo, plugin: Any, watch: _InterruptWatch) -> None:
    """Call each hook of one plugin, committing its registrations only if every hook succeeds."""
    manager = state.manager
    plugin = _hashable(plugin)
    try:
        manager.register(plugin, name=info.name)
    except pluggy.PluginValidationError as exc:  # a bad hook signature
        _mark_broken(state, info, _invalid_hook(exc))
        return
    except Exception as exc:  # noqa: BLE001 - e.g. a duplicate name
        _mark_broken(state, info, _describe(exc))
        return
    undecorated = _undecorated_hooks(manager, plugin)
    if undecorated:
        manager.unregister(name=info.name)
        one = len(undecorated) == 1
        _mark_broken(
            state,
            info,
            f"{', '.join(undecorated)} {'lacks' if one else 'lack'} the @srzoo.hookimpl decorator, so srzoo "
            f"would never call {'it' if one else 'them'}",
        )
        return
    try:
        manager.check_pending()
    except pluggy.PluginValidationError as exc:
        manager.unregister(name=info.name)
        _mark_broken(state, info, _unknown_hook(exc))
        return
    others = [p for p in manager.get_plugins() if p is not plugin]
    entries: list[Entry] = []
    charts: list[Entry] = []
    checkpoint_formats: list[Entry] = []
    loggers: list[Entry] = []
    cli = CommandLine(info.name)
    calls: list[tuple[str, dict[str, Any]]] = [
        (hook, {"register": _checked_register(kind, info.name, entries)})
        for kind, hook in _HOOK_OF_KIND.items()
    ]
    calls += [
        (_CHARTS_HOOK, {"register": _chart_register(info.name, charts)}),
        (_CHECKPOINTS_HOOK, {"register": _checkpoint_register(info.name, checkpoint_formats)}),
        (_LOGGERS_HOOK, {"register": _logger_register(info.name, loggers)}),
        (_COMMANDS_HOOK, {"cli": cli}),
    ]
    for hook_name, kwargs in calls:
        try:
            manager.subset_hook_caller(hook_name, remove_plugins=others)(**kwargs)
        except BaseException as exc:
            if isinstance(exc, KeyboardInterrupt) and watch.user_interrupted():
                manager.unregister(name=info.name)
                raise
            manager.unregister(name=info.name)
            _mark_broken(state, info, f"{hook_name} raised {_describe(exc)}")
            return
    for entry in entries:
        state.registry.add(entry)
    for chart in charts:
        _add_unique(state, "chart", chart.name, chart, state.charts)
    for reader in checkpoint_formats:
        _add_unique(state, "checkpoint format", reader.name, reader, state.checkpoint_formats)
    for logger in loggers:
        _add_unique(state, "logger", logger.name, logger, state.loggers)
    for command in cli.commands:
        _add_unique(state, "command", command.name, command, state.commands)
    state.plugins[info.name] = info


def _add_unique(state: _State, what: str, name: str, item: Any, table: dict[str, Any]) -> None:
    """Add a chart, checkpoint format, logger or command; a name two plugins register is hidden, with a warning naming both."""
    first = state._taken.get((what, name))
    if first is None:
        state._taken[(what, name)] = item.plugin
        table[name] = item
        return
    if name in table:
        del table[name]
        message = (
            f"{what} {name!r} is registered by plugin {first!r} and by plugin {item.plugin!r}; "
            "both are hidden until one is uninstalled"
        )
        state.clashes.append(message)
        warnings.warn(message, PluginWarning, stacklevel=4)


def _selected() -> set[str] | None:
    """The entry-point names ``SRZOO_LOAD_PLUGINS`` selects, or ``None`` (unset: all)."""
    value = os.environ.get(LOAD_PLUGINS_ENV)
    if value is None:
        return None
    return {name.strip() for name in value.split(",") if name.strip()}


def _load() -> _State:
    state = _State(_new_manager())
    selected = _selected()
    seen: set[str] = set()
    with _InterruptWatch().active() as watch:
        for entry_point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
            seen.add(entry_point.name)
            if selected is not None and entry_point.name not in selected:
                continue
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
            except BaseException as exc:
                if isinstance(exc, KeyboardInterrupt) and watch.user_interrupted():
                    raise
                _mark_broken(state, info, f"import failed: {_describe(exc)}")
                continue
            _register_hooks(state, info, plugin, watch)
        for name, plugin in _extra:
            _register_hooks(state, PluginInfo(name, None, None, repr(plugin)), plugin, watch)
    if selected:
        missing = sorted(selected - seen)
        if missing:
            warnings.warn(
                f"{LOAD_PLUGINS_ENV} names {', '.join(map(repr, missing))}, not installed; installed: "
                f"{', '.join(sorted(seen)) or 'none'}",
                PluginWarning,
                stacklevel=3,
            )
    return state


def state() -> _State:
    """The loaded plugins and registry, loading every entry point on first call."""
    global _state, _loading
    with _lock:
        if _state is None:
            if _loading:  # a hook looked something up: it would load the plugins again, forever
                raise SrzooError(
                    "srzoo's plugins are still loading: a plugin's hook cannot look up registered "
                    "components (do it when the component is built instead)"
                )
            _loading = True
            try:
                _state = _load()
            finally:
                _loading = False
        return _state


def registry() -> Registry:
    """The registry, filled by every plugin (loaded on first call)."""
    return state().registry


def plugin_modules() -> list[str]:
    """The modules of the working plugins: entry points' modules and modules registered at run time."""
    loaded = state()
    names = [
        info.value.partition(":")[0]
        for info in loaded.plugins.values()
        if info.error is None and _MODULE.fullmatch(info.value.partition(":")[0])
    ]
    names += [plugin.__name__ for name, plugin in _extra if isinstance(plugin, types.ModuleType)]
    return names


def register_plugin(plugin: Any, name: str | None = None) -> str:
    """Register a plugin object or module at run time, without packaging it.

    Useful in notebooks and tests. The plugin stays registered until
    [`unregister_plugin`][srzoo.unregister_plugin]; it is isolated exactly as an installed plugin
    is (a failing hook marks it broken, with a ``PluginWarning``).

    Args:
        plugin: a module or object with functions decorated by ``srzoo.hookimpl``.
        name: the plugin's name in messages and ``srzoo plugins``; defaults to the module's name.

    Returns:
        The name the plugin was registered under.

    Raises:
        SrzooError: a plugin of that name is already registered.
    """
    if name is not None and not (isinstance(name, str) and name.strip()):
        raise SrzooError(f"a plugin's name must be a non-empty string, got {type(name).__name__} {name!r}")
    name = name or getattr(plugin, "__name__", None) or type(plugin).__name__
    with _lock:
        loaded = state()
        if name in loaded.plugins:
            raise SrzooError(f"a plugin named {name!r} is already registered; pass another name=")
        with _InterruptWatch().active() as watch:
            _register_hooks(loaded, PluginInfo(name, None, None, repr(plugin)), plugin, watch)
        if loaded.plugins[name].error is None:  # a broken plugin is reported once, not on every reload
            _extra.append((name, plugin))
    return name


def unregister_plugin(name: str) -> None:
    """Remove a plugin registered with [`register_plugin`][srzoo.register_plugin] and what it registered."""
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
