"""Commands that plugins add to the ``srzoo`` command line (hook ``srzoo_register_commands``).

srzoo's command line is built with [`argparse`](https://docs.python.org/3/library/argparse.html):
each command is a sub-parser with a one-line help, a ``configure(parser)`` function that adds its
arguments, and a ``run(args) -> int`` function. A plugin adds its own commands the same way, through
the [`CommandLine`][srzoo.cli.commands.CommandLine] object its hook receives:

    import srzoo

    @srzoo.hookimpl
    def srzoo_register_commands(cli):
        # "module:attribute" strings are imported only when srzoo's command line needs them
        cli.add_command("hello", "my_pkg.cli:run", help="Say hello.", configure="my_pkg.cli:configure")

``run`` raises [`srzoo.SrzooError`][srzoo.errors.SrzooError] (or an ``OSError``) for bad input;
srzoo prints it as one line and exits with code 2, and ``--debug`` (added to every command) shows the
traceback instead. Print with ``srzoo.cli.console`` (``console``, ``err_console``) so output looks like srzoo's.
"""

from __future__ import annotations

from srzoo.registry.commands import Command, CommandLine

__all__ = ["Command", "CommandLine"]
