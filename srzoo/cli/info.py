"""``srzoo info NAME``: a recipe's components, parameters, FLOPs, scales, paper and license.

``NAME`` is a registered recipe or component, or a recipe file (``PATH.toml``); ``--set KEY=VALUE``
shows a recipe with overrides, parsed as ``srzoo upscale``/``train`` parse them.
"""

from __future__ import annotations

import argparse
import dataclasses
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from rich.markup import escape
from rich.table import Table

from srzoo.errors import SrzooError, UnknownNameError
from srzoo.recipe import Recipe
from srzoo.registry import loader as _plugins
from srzoo.registry.component_info import ComponentInfo
from srzoo.registry.table import KINDS, Entry

from ._console import console, err_console

if TYPE_CHECKING:
    from srzoo.model import SRModel
from ._options import add_set_option, recipe_with_settings
from .list_cmd import normalise_kind

HELP = "Describe a recipe (components, parameters, FLOPs, paper, license) or a component."


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "name",
        metavar="NAME",
        help="a recipe (e.g. stagegan-x8), a recipe file (PATH.toml), a component name, or a checkpoint "
        "file a plugin reads (e.g. .pth, .safetensors with srzoo[spandrel])",
    )
    parser.add_argument("--kind", help="the kind of NAME when several kinds register it")
    add_set_option(parser, "show the recipe with an override, e.g. --set sem.ngf=32")
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


_HIDDEN = ("examples",)  # test fixtures, not product metadata


def _metadata_rows(entry: Entry) -> list[tuple[str, str]]:
    """Each set field of the component's metadata; fields computed from the arguments are shown
    with the value they take at the factory's defaults."""
    info = entry.metadata
    defaults: dict[str, Any] | None = None
    rows = []
    for f in dataclasses.fields(ComponentInfo):
        value = getattr(info, f.name)
        if f.name in (*_HIDDEN, "description"):
            continue
        shown_always = f.name == "receptive_field" and entry.kind in ("generator", "degradation")
        if not shown_always and (value is None or value == "" or value == f.default or value == {}):
            continue
        if f.name == "extra":
            rows += [(str(k), str(v)) for k, v in value.items()]
            continue
        if callable(value):
            if defaults is None:
                defaults = _defaults(entry)
            try:
                shown = f"{info.value(f.name, defaults)} with the default arguments (depends on them)"
            except (SrzooError, KeyError):
                shown = "depends on the arguments"
        elif f.name == "receptive_field" and value is None:
            shown = "unbounded or unknown"
        elif f.name == "scales":
            shown = ", ".join(f"x{s}" for s in value)
        elif f.name == "default_weights":
            shown = f"{value.url} (sha256 {value.sha256})"
        else:
            shown = (
                ", ".join(f"{k}: {v}" for k, v in value.items()) if isinstance(value, Mapping) else str(value)
            )
        rows.append((f.name.replace("_", " "), shown))
    return rows


def _defaults(entry: Entry) -> dict[str, Any]:
    from srzoo.model.graph import resolved_args

    try:
        return resolved_args(entry.load(), {})
    except SrzooError:
        return {}


def _show_component(entry: Entry) -> None:
    table = Table(title=f"{entry.kind} {entry.name}", title_justify="left", show_header=False)
    table.add_column(style="bold")
    table.add_column()
    table.add_row("description", escape(entry.metadata.description))
    table.add_row("plugin", escape(entry.plugin))
    table.add_row("factory", escape(entry.target if isinstance(entry.target, str) else repr(entry.target)))
    for key, value in _metadata_rows(entry):
        table.add_row(key, escape(value))
    console.print(table)


def _show_recipe(
    recipe: Recipe, plugin: str, count: bool, overrides: list[str], built: SRModel | None = None
) -> None:
    """A recipe's table and its components'; ``built``: the model already read (a checkpoint's)."""
    from srzoo.model.graph import analyse

    layout = analyse(recipe)
    table = Table(title=f"recipe {recipe.name}", title_justify="left", show_header=False)
    table.add_column(style="bold")
    table.add_column()
    table.add_row("description", escape(recipe.description))
    table.add_row("scale", f"×{recipe.scale}")
    table.add_row("paper", escape(recipe.paper))
    table.add_row("license", escape(recipe.license))
    table.add_row("plugin / file", escape(f"{plugin} / {recipe.source}"))
    if overrides:
        table.add_row("overrides", escape(", ".join(overrides)))
    table.add_row("value range", f"{recipe.value_range[0]:g} … {recipe.value_range[1]:g} (API edge: 0 … 1)")
    if recipe.input_multiple is None:
        multiple = (
            f"{layout.input_multiple} LR pixels, derived from the components ({recipe.pad_mode} padding)"
        )
    else:
        multiple = f"{recipe.input_multiple} LR pixels, stated (derived: {layout.input_multiple}; {recipe.pad_mode} padding)"
    table.add_row("input multiple", multiple)
    reach = layout.receptive_field
    table.add_row(
        "receptive field",
        "unbounded (an output pixel may depend on the whole input)"
        if reach is None
        else f"{reach} LR pixels around each output pixel's LR position",
    )
    if recipe.pretrained is not None:
        from srzoo.model.weights import shipped_path

        file = shipped_path(recipe)
        card = file.with_suffix(".md")
        table.add_row(
            "shipped weights",
            escape(
                f"{recipe.pretrained.file} (sha256 {recipe.pretrained.sha256[:16]}…): build(..., pretrained=True)"
                + (f"; model card {card}" if card.is_file() else "")
            ),
        )
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
    _show_components(recipe, count, built)


def _show_components(recipe: Recipe, count: bool, built: SRModel | None = None) -> None:
    """The nodes' table; with ``count``, the model is built and its parameters and FLOPs counted."""
    from srzoo.api import build
    from srzoo.model.profile import flops_per_output, padded_output_side, parameters_per_stage

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
            model = built if built is not None else build(recipe)
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
        if flops is None:
            side = padded_output_side(model, 256)
            console.print(
                f"[bold]FLOPs per 256×256 output[/] not counted: the input multiple "
                f"({model.input_multiple} LR pixels) makes it a {side}×{side} computation"
            )
        else:
            console.print(
                f"[bold]FLOPs per 256×256 output[/] {flops / 1e9:.1f} GFLOP ({flops / 2e9:.1f} GMAC)"
            )


def run(args: argparse.Namespace) -> int:
    from srzoo.inference.checkpoints import is_checkpoint, load_checkpoint

    if is_checkpoint(args.name):
        if args.overrides:
            raise SrzooError(f"{args.name} is a checkpoint; --set changes recipes")
        model = load_checkpoint(args.name)
        _show_recipe(model.recipe, "checkpoint", count=not args.no_flops, overrides=[], built=model)
        return 0
    if args.name.endswith(".toml"):
        if args.kind and normalise_kind(args.kind) != "recipe":
            raise SrzooError(f"{args.name} is a recipe file; --kind {args.kind} does not apply")
        recipe = recipe_with_settings(args.name, args.overrides)
        _show_recipe(recipe, "file", count=not args.no_flops, overrides=args.overrides)
        return 0
    entries = _matches(args.name, args.kind)
    if len(entries) > 1 and not args.kind:
        kinds = ", ".join(e.kind for e in entries)
        console.print(
            f"[dim]{args.name!r} is registered as: {kinds}; showing all (use --kind to pick one)[/]"
        )
    if args.overrides and not any(entry.kind == "recipe" for entry in entries):
        raise SrzooError(f"--set changes recipes; {args.name!r} is a {entries[0].kind}")
    for entry in entries:
        if entry.kind == "recipe":
            recipe = recipe_with_settings(entry.name, args.overrides)
            _show_recipe(recipe, entry.plugin, count=not args.no_flops, overrides=args.overrides)
        else:
            _show_component(entry)
    return 0
