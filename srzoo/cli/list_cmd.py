"""``srzoo list [KIND]``: what the installed plugins register; recipes say which ship weights."""

from __future__ import annotations

import argparse
import json

from rich.markup import escape
from rich.table import Table

from srzoo.errors import SrzooError, UnknownNameError
from srzoo.recipe import Recipe
from srzoo.registry import loader as _plugins
from srzoo.registry.table import KINDS, Entry

from ._console import console

HELP = "List registered recipes and components (all kinds, or one KIND)."


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "kind", nargs="?", metavar="KIND", help=f"one of: {', '.join(KINDS)} (plural accepted)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON document instead of tables")


def normalise_kind(kind: str) -> str:
    """Accept ``generators`` for ``generator`` and so on; raise with suggestions otherwise."""
    plurals = {("losses" if k == "loss" else f"{k}s"): k for k in KINDS}
    singular = plurals.get(kind, kind)
    if singular not in KINDS:
        raise UnknownNameError("kind", kind, KINDS)
    return singular


def _read_recipe(entry: Entry) -> Recipe | str:
    """The recipe behind a recipe entry, or the one-line reason it does not validate."""
    from srzoo.recipe.core import get_recipe

    try:
        return get_recipe(entry.name)
    except SrzooError as exc:
        return str(exc)


def _description(entry: Entry) -> str:
    """The plain-text description: a recipe's from its file, a component's from its metadata."""
    if entry.kind != "recipe":
        return entry.metadata.description
    recipe = _read_recipe(entry)
    return f"invalid: {recipe}" if isinstance(recipe, str) else recipe.description


def _ships_weights(entry: Entry) -> bool:
    """Whether a recipe declares weights that come with it (its ``pretrained`` table), which
    ``srzoo.build(name, pretrained=True)`` and ``--pretrained`` load."""
    recipe = _read_recipe(entry)
    return not isinstance(recipe, str) and recipe.pretrained is not None


def _summary(entry: Entry) -> str:
    """The table cell (rich markup): recipes also show their scale, invalid ones in red."""
    if entry.kind != "recipe":
        return escape(_description(entry))
    recipe = _read_recipe(entry)
    if isinstance(recipe, str):
        return f"[red]invalid: {escape(recipe)}[/]"
    return f"×{recipe.scale}  {escape(recipe.description)}"


def run(args: argparse.Namespace) -> int:
    registry = _plugins.registry()
    kinds = [normalise_kind(args.kind)] if args.kind else list(KINDS)
    if args.json:
        document = {
            kind: [
                {"name": e.name, "plugin": e.plugin, "description": _description(e)}
                | ({"pretrained": _ships_weights(e)} if kind == "recipe" else {})
                for e in registry.entries(kind)
            ]
            for kind in kinds
        }
        console.print_json(json.dumps(document))
        return 0
    hidden: dict[str, list[str]] = {}
    for conflict in registry.conflicts():  # a name two plugins register is hidden: say so, and why
        hidden.setdefault(conflict.kind, []).append(str(conflict))
    for kind in kinds:
        entries = list(registry.entries(kind))
        plural = "losses" if kind == "loss" else f"{kind}s"
        if not entries:
            console.print(f"[bold]{plural}[/] [dim](none registered)[/]")
            _print_hidden(hidden.get(kind, []))
            continue
        table = Table(title=f"{plural} ({len(entries)})", title_justify="left", expand=False)
        table.add_column("name", style="bold cyan", no_wrap=True)
        table.add_column("plugin", style="dim")
        if kind == "recipe":
            table.add_column("weights", no_wrap=True)
        table.add_column("description")
        shipped = {entry.name for entry in entries if _ships_weights(entry)} if kind == "recipe" else set()
        for entry in entries:
            weights = ["[green]shipped[/]" if entry.name in shipped else ""] if kind == "recipe" else []
            table.add_row(escape(entry.name), escape(entry.plugin), *weights, _summary(entry))
        console.print(table)
        if shipped:
            console.print(
                "[dim]shipped: srzoo has weights for it (srzoo.build(NAME, pretrained=True), "
                "--pretrained); srzoo info NAME shows their model card[/]"
            )
        _print_hidden(hidden.get(kind, []))
    return 0


def _print_hidden(messages: list[str]) -> None:
    for message in messages:
        console.print(f"[yellow]hidden:[/] {escape(message)}", highlight=False, soft_wrap=True)
