"""``srzoo info NAME``: a recipe's components, parameters, FLOPs, scales, paper and license."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from typing import Any

from rich.markup import escape
from rich.table import Table

from srzoo import _plugins
from srzoo.errors import UnknownNameError
from srzoo.registry import KINDS, Entry

from ._console import console, err_console
from .list_cmd import normalise_kind

HELP = "Describe a recipe (components, parameters, FLOPs, paper, license) or a component."


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", metavar="NAME", help="a recipe (e.g. stagegan-x8) or a component name")
    parser.add_argument("--kind", help="the kind of NAME when several kinds register it")
    parser.add_argument(
        "--no-flops", action="store_true", help="skip building the model to count parameters and FLOPs"
    )


def _matches(name: str, kind: str | None) -> list[Entry]:
    registry = _plugins.registry()
    kinds = [normalise_kind(kind)] if kind else list(KINDS)
    found = [registry.get(k, name) for k in kinds if name in registry.names(k)]
    if found:
        return found
    every = {n for k in kinds for n in registry.names(k)}
    raise UnknownNameError(kinds[0] if kind else "recipe or component", name, every)


def _metadata_rows(metadata: Mapping[str, Any]) -> list[tuple[str, str]]:
    return [
        (key, str(value))
        for key, value in metadata.items()
        if key not in ("example_args", "example_input", "example_output")
    ]


def _show_component(entry: Entry) -> None:
    table = Table(title=f"{entry.kind} {entry.name}", title_justify="left", show_header=False)
    table.add_column(style="bold")
    table.add_column()
    table.add_row("plugin", escape(entry.plugin))
    table.add_row("factory", escape(entry.target if isinstance(entry.target, str) else repr(entry.target)))
    for key, value in _metadata_rows(entry.metadata):
        table.add_row(key, escape(value))
    console.print(table)


def _show_recipe(entry: Entry, count: bool) -> None:
    from srzoo.api import build, get_recipe

    recipe = get_recipe(entry.name)
    table = Table(title=f"recipe {recipe.name}", title_justify="left", show_header=False)
    table.add_column(style="bold")
    table.add_column()
    table.add_row("description", escape(recipe.description))
    table.add_row("scale", f"×{recipe.scale}")
    table.add_row("paper", escape(recipe.paper))
    table.add_row("license", escape(recipe.license))
    table.add_row("plugin / file", escape(f"{entry.plugin} / {recipe.source}"))
    table.add_row("value range", f"{recipe.value_range[0]:g} … {recipe.value_range[1]:g} (API edge: 0 … 1)")
    table.add_row("input multiple", f"{recipe.input_multiple} LR pixels ({recipe.pad_mode} padding)")
    if recipe.train is not None:
        t = recipe.train
        length = ", ".join(
            part
            for part in (f"{t.epochs} epochs" if t.epochs else "", f"{t.steps:,} steps" if t.steps else "")
            if part
        )
        table.add_row(
            "training",
            f"{t.optimizer.name} lr {t.optimizer.lr:g}, batch {t.batch_size}, {length or 'length not given'}, "
            f"{t.schedule.name} schedule, losses: "
            + ", ".join(f"{term.weight:g}·{term.component}({term.node})" for term in t.losses)
            + (f", critics: {', '.join(c.name + '=' + c.component for c in t.critics)}" if t.critics else ""),
        )
    console.print(table)

    nodes = Table(title="components", title_justify="left")
    nodes.add_column("node", style="bold cyan")
    nodes.add_column("kind")
    nodes.add_column("component")
    nodes.add_column("inputs")
    nodes.add_column("args")
    nodes.add_column("parameters", justify="right")
    params: dict[str, int] = {}
    model = None
    if count:
        with err_console.status("building the model to count parameters and FLOPs…"):
            from srzoo._profile import flops_per_output, parameters_per_stage

            model = build(recipe)
            params = parameters_per_stage(model)
            flops = flops_per_output(model, 256)
    for node in recipe.nodes:
        args = ", ".join(f"{k}={v!r}" for k, v in node.args.items())
        nodes.add_row(
            escape(node.name),
            node.kind,
            escape(node.component),
            escape(", ".join(node.inputs)),
            escape(args),
            f"{params[node.name]:,}" if node.name in params else "-",
        )
    console.print(nodes)
    if model is not None:
        console.print(f"[bold]parameters[/] {sum(params.values()):,}")
        console.print(f"[bold]FLOPs per 256×256 output[/] {flops / 1e9:.1f} GFLOP ({flops / 2e9:.1f} GMAC)")


def run(args: argparse.Namespace) -> int:
    entries = _matches(args.name, args.kind)
    if len(entries) > 1 and not args.kind:
        kinds = ", ".join(e.kind for e in entries)
        console.print(
            f"[dim]{args.name!r} is registered as: {kinds}; showing all (use --kind to pick one)[/]"
        )
    for entry in entries:
        if entry.kind == "recipe":
            _show_recipe(entry, count=not args.no_flops)
        else:
            _show_component(entry)
    return 0
