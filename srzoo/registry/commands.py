"""Commands that plugins add to the command line, collected like any registration (the CLI reads them
from the loaded plugins' state; see [`srzoo.cli.commands`][srzoo.cli.commands])."""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from dataclasses import dataclass

from ..errors import SrzooError
from .table import resolve_reference

__all__ = ["Command", "CommandLine"]

_COMMAND_NAME = re.compile(r"[a-z][a-z0-9-]*")
_REFERENCE = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*:[A-Za-z_]\w*(\.[A-Za-z_]\w*)*")

Configure = Callable[[argparse.ArgumentParser], None]
Run = Callable[[argparse.Namespace], "int | None"]


def _usable(value: object) -> bool:
    return callable(value) or (isinstance(value, str) and bool(_REFERENCE.fullmatch(value)))


@dataclass(frozen=True)
class Command:
    """One plugin command.

    Attributes:
        name: the sub-command, e.g. ``"data"`` for ``srzoo data``.
        run: ``run(args) -> int | None`` (the exit code; ``None`` means 0), or its
            ``"module:attribute"`` reference.
        help: one line shown by ``srzoo --help``.
        configure: adds the command's arguments to its ``argparse`` sub-parser (or a reference to
            such a function), or ``None``.
        plugin: the plugin that registered it.
    """

    name: str
    run: Run | str
    help: str
    configure: Configure | str | None
    plugin: str

    def load(self, attribute: str) -> Callable[..., object] | None:
        """``run`` or ``configure`` as a callable, importing a ``"module:attribute"`` reference.

        Raises:
            SrzooError: the reference does not import, naming the plugin.
        """
        value = getattr(self, attribute)
        if not isinstance(value, str):
            return value
        obj = resolve_reference(value, f"command {self.name!r} from plugin {self.plugin!r}")
        if not callable(obj):
            raise SrzooError(f"command {self.name!r} from plugin {self.plugin!r}: {value!r} is not callable")
        return obj


class CommandLine:
    """What ``srzoo_register_commands(cli)`` receives: collects one plugin's commands.

    The commands are added to ``srzoo`` only if the plugin's hooks all succeed; a name srzoo's own
    commands use, or that two plugins register, is not added (a warning names the plugins).
    """

    def __init__(self, plugin: str) -> None:
        self.plugin = plugin
        self.commands: list[Command] = []

    def add_command(
        self, name: str, run: Run | str, *, help: str, configure: Configure | str | None = None
    ) -> None:
        """Add ``srzoo NAME``.

        Args:
            name: lower-case letters, digits and ``-``, starting with a letter.
            run: called with the parsed ``argparse.Namespace``; returns the exit code. A
                ``"module:attribute"`` string is imported only when the command runs.
            help: one line for ``srzoo --help`` (also the command's description).
            configure: ``configure(parser)`` adds arguments to the command's sub-parser (a
                reference is imported when srzoo's command line is built).

        Raises:
            SrzooError: a bad name, a non-callable ``run``/``configure`` or an empty help.
        """
        where = f"plugin {self.plugin!r} adds command {name!r}"
        if not isinstance(name, str) or not _COMMAND_NAME.fullmatch(name):
            raise SrzooError(f"{where}; a command name is lower-case letters, digits and '-'")
        if not _usable(run):
            raise SrzooError(
                f"{where} with run={run!r}; expected a callable run(args) or a 'package.module:attribute' string"
            )
        if configure is not None and not _usable(configure):
            raise SrzooError(
                f"{where} with configure={configure!r}; expected a callable configure(parser) or a "
                "'package.module:attribute' string"
            )
        if not isinstance(help, str) or not help.strip():
            raise SrzooError(f"{where} without help; give a one-line help=")
        if any(command.name == name for command in self.commands):
            raise SrzooError(f"{where} twice")
        self.commands.append(Command(name, run, help.strip(), configure, self.plugin))
