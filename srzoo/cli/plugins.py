"""``srzoo plugins``: installed plugins, what each registers, and broken ones with their error."""

from __future__ import annotations

import argparse
import warnings

from rich.markup import escape
from rich.table import Table

from srzoo.registry import loader as _plugins

from ._console import console

HELP = "Show installed plugins: distribution, version, what each registers, and broken plugins."


def configure(parser: argparse.ArgumentParser) -> None:
    del parser  # no options


def run(args: argparse.Namespace) -> int:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", _plugins.PluginWarning)  # shown in the table instead
        state = _plugins.state()
    table = Table(title=f"srzoo plugins ({len(state.plugins)})", title_justify="left")
    table.add_column("plugin", style="bold cyan", no_wrap=True)
    table.add_column("distribution")
    table.add_column("status")
    table.add_column("registers")
    for name, info in sorted(state.plugins.items()):
        distribution = (
            f"{info.distribution} {info.version}" if info.distribution else "(registered at run time)"
        )
        if info.error:
            status, registers = "[bold red]broken[/]", f"[red]{escape(info.error)}[/]"
        else:
            status = "[green]ok[/]"
            registered = dict(state.registry.by_plugin(name))
            for what, items in (
                ("chart", state.charts),
                ("logger", state.loggers),
                ("command", state.commands),
            ):
                names = sorted(n for n, item in items.items() if item.plugin == name)
                if names:
                    registered[what] = names
            registers = (
                "\n".join(escape(f"{kind}: {', '.join(names)}") for kind, names in registered.items())
                or "[dim]nothing[/]"
            )
        table.add_row(escape(name), escape(distribution), status, registers)
    console.print(table)
    for conflict in [*map(str, state.registry.conflicts()), *state.clashes]:
        console.print(f"[bold red]conflict:[/] {escape(conflict)}", highlight=False)
    broken = sum(1 for info in state.plugins.values() if info.error)
    if broken:
        console.print(f"[yellow]{broken} broken plugin(s); srzoo works without them[/]")
    return 0
