"""The ``srzoo`` command line.

Each command is a module of this package with ``HELP`` (one line), ``configure(parser)`` and
``run(args) -> int``. Commands raise :class:`srzoo.SrzooError` for bad input; :func:`main` prints it
as one line on stderr and exits with code 2 (``--debug`` shows the traceback instead).
"""

from __future__ import annotations

import argparse
import importlib
import sys
import warnings
from collections.abc import Sequence

from srzoo import __version__

# command name -> module; each is imported only when its command runs (or for --help)
_COMMANDS: dict[str, str] = {
    "list": "srzoo.cli.list_cmd",
    "info": "srzoo.cli.info",
    "plugins": "srzoo.cli.plugins",
    "bench": "srzoo.cli.bench",
    "demo": "srzoo.cli.demo",
    "upscale": "srzoo.cli.upscale",
    "data": "srzoo.cli.data",
    "convert": "srzoo.cli.convert",
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


def make_parser() -> argparse.ArgumentParser:
    """The argument parser with every available command."""
    parser = argparse.ArgumentParser(
        prog="srzoo",
        description="Super-resolution zoo: build, compare, train and run SR models from plugins.",
    )
    parser.add_argument("--version", action="version", version=f"srzoo {__version__}")
    parser.add_argument("--debug", action="store_true", help="show full tracebacks on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, module in _available_commands().items():
        command = sub.add_parser(name, help=module.HELP, description=module.HELP)  # type: ignore[attr-defined]
        command.add_argument(
            "--debug", action="store_true", default=argparse.SUPPRESS, help="show full tracebacks on errors"
        )
        module.configure(command)  # type: ignore[attr-defined]
        command.set_defaults(_run=module.run)  # type: ignore[attr-defined]
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (0 success, 2 bad input, 130 interrupted)."""
    from rich.markup import escape

    from srzoo.errors import SrzooError

    from ._console import err_console

    args = make_parser().parse_args(argv)
    debug = bool(getattr(args, "debug", False))
    with warnings.catch_warnings():
        if not debug:
            warnings.simplefilter("default")
            warnings.showwarning = _show_warning
        try:
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
