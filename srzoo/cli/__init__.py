"""The ``srzoo`` command line.

Each built-in command is a module of this package with ``HELP`` (one line), ``configure(parser)``
and ``run(args) -> int``; plugins add theirs through the ``srzoo_register_commands`` hook (see
[`srzoo.cli.commands`][srzoo.cli.commands]). Commands raise [`srzoo.SrzooError`][srzoo.errors.SrzooError]
for bad input; [`main`][srzoo.cli.main] prints it as one line on stderr and exits with code 2
(``--debug`` shows the traceback instead).
"""

from __future__ import annotations

import argparse
import importlib
import sys
import warnings
from collections.abc import Sequence

from srzoo import __version__
from srzoo.errors import SrzooError

# command name -> module; each is imported only when its command runs (or for --help)
_COMMANDS: dict[str, str] = {
    "list": "srzoo.cli.list_cmd",
    "info": "srzoo.cli.info",
    "plugins": "srzoo.cli.plugins",
    "bench": "srzoo.cli.bench",
    "demo": "srzoo.cli.demo",
    "upscale": "srzoo.cli.upscale",
    "convert": "srzoo.cli.convert",
    "train": "srzoo.cli.train",
}

EXIT_USAGE = 2


def _available_commands() -> dict[str, object]:
    modules = {}
    for name, module_name in _COMMANDS.items():
        try:
            modules[name] = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:  # a command whose own imports fail is a bug: show it
                raise
    return modules


def _add_command(sub, name: str, help: str, configure, run) -> None:
    command = sub.add_parser(name, help=help, description=help)
    command.add_argument(
        "--debug", action="store_true", default=argparse.SUPPRESS, help="show full tracebacks on errors"
    )
    if configure is not None:
        configure(command)
    command.set_defaults(_run=run)


def _plugin_commands(taken: set[str]) -> list[object]:
    """Commands from the ``srzoo_register_commands`` hook, minus names srzoo's own commands use."""
    from srzoo.registry import loader as _plugins

    state = _plugins.state()
    commands = []
    for name, command in sorted(state.commands.items()):
        if name in taken:
            warnings.warn(
                f"plugin {command.plugin!r} adds the command {name!r}, which srzoo's own {name!r} "
                "command shadows; it is not available",
                _plugins.PluginWarning,
                stacklevel=2,
            )
            continue
        commands.append(command)
    return commands


def _lazy_run(command):
    def run(args: argparse.Namespace) -> int | None:
        return command.load("run")(args)

    return run


def make_parser() -> argparse.ArgumentParser:
    """The argument parser with every available command: srzoo's own, then the plugins'."""
    parser = argparse.ArgumentParser(
        prog="srzoo",
        description="Super-resolution zoo: build, compare, train and run SR models from plugins.",
    )
    parser.add_argument("--version", action="version", version=f"srzoo {__version__}")
    parser.add_argument("--debug", action="store_true", help="show full tracebacks on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    builtins = _available_commands()
    for name, module in builtins.items():
        _add_command(sub, name, module.HELP, module.configure, module.run)  # type: ignore[attr-defined]
    for command in _plugin_commands(set(builtins)):
        try:
            configure = command.load("configure")  # type: ignore[attr-defined]
        except SrzooError as exc:  # a broken plugin command must not take the whole CLI down
            from srzoo.registry.loader import PluginWarning

            warnings.warn(f"{exc}; the command is not available", PluginWarning, stacklevel=2)
            continue
        _add_command(sub, command.name, command.help, configure, _lazy_run(command))  # type: ignore[attr-defined]
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (0 success, 2 bad input, 130 interrupted)."""
    from rich.markup import escape

    from ._console import err_console

    debug = "--debug" in (sys.argv[1:] if argv is None else argv)
    with warnings.catch_warnings():
        if not debug:
            warnings.simplefilter("default")
            warnings.showwarning = _show_warning
        try:
            # plugins load here: their warnings (broken plugins, clashes) print as one line each
            args = make_parser().parse_args(argv)
            debug = bool(getattr(args, "debug", False))
            return int(args._run(args) or 0)
        except SrzooError as exc:
            if debug:
                raise
            err_console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
            return EXIT_USAGE
        except OSError as exc:  # a file system problem outside srzoo's own checks: still one line
            if debug:
                raise
            err_console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
            return EXIT_USAGE
        except KeyboardInterrupt:
            err_console.print("interrupted")
            return 130


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    from rich.markup import escape

    from ._console import err_console

    err_console.print(f"[yellow]warning:[/] {escape(str(message))}", highlight=False, soft_wrap=True)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
