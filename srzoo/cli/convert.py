"""``srzoo convert RECIPE SOURCE_WEIGHTS -o OUT.safetensors``: foreign weights to a recipe's state dict.

The source is read by the converter registered for its suffix in the metadata of one of the recipe's
components (e.g. ``.mat`` for ``lapsrn``: the LapSRN authors' MatConvNet files), or is a
``.safetensors`` file of the same architecture (then it is only checked and rewritten). The result is
checked key by key and shape by shape against ``srzoo.build(RECIPE)``, and written atomically.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.markup import escape

from srzoo.errors import SrzooError

from ._console import console, err_console

HELP = "Convert foreign weights (e.g. the LapSRN authors' .mat files) into a recipe's .safetensors."


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "recipe", metavar="RECIPE", help="recipe name (srzoo list recipe) or a .toml file, e.g. lapsrn-x4"
    )
    parser.add_argument("source", metavar="SOURCE_WEIGHTS", help="weights to convert, e.g. LapSRN_x4.mat")
    parser.add_argument(
        "-o", "--out", required=True, metavar="OUT.safetensors", help="where to write the converted weights"
    )
    parser.add_argument("--force", action="store_true", help="overwrite OUT if it exists")


def _check_out(out: Path, force: bool) -> None:
    if out.suffix.lower() != ".safetensors":
        raise SrzooError(f"-o {out}: the output must be a .safetensors file")
    if out.is_dir():
        raise SrzooError(f"-o {out}: is a folder; give a file name ending in .safetensors")
    if out.exists() and not force:
        raise SrzooError(f"-o {out}: exists; pass --force to overwrite it")
    if not out.parent.is_dir():
        raise SrzooError(f"-o {out}: the folder {out.parent} does not exist")


def run(args: argparse.Namespace) -> int:
    import srzoo
    from srzoo.errors import WeightsError
    from srzoo.model.weights import load_weights, save_weights, sha256_of

    out = Path(args.out)
    source = Path(args.source)
    _check_out(out, args.force)
    if not source.is_file():
        raise WeightsError(f"{source}: no such weights file")
    if source.resolve() == out.resolve():
        raise SrzooError(f"-o {out}: is the source file; write the converted weights elsewhere")
    with err_console.status(f"building {args.recipe}…"):
        model = srzoo.build(args.recipe)
    with err_console.status(f"converting {source.name} for {model.recipe.name}…"):
        load_weights(model, source)
        digest = sha256_of(source)
        metadata = {
            "srzoo_recipe": model.recipe.name,
            "source": source.name,
            "source_sha256": digest,
            "converted_by": f"srzoo {srzoo.__version__}",
        }
        save_weights(model, out, metadata=metadata)
    state = model.state_dict()
    parameters = sum(p.numel() for p in model.parameters())
    console.print(
        f"[green]wrote[/] {escape(str(out))}: {len(state)} tensors, {parameters:,} parameters for recipe "
        f"[bold]{escape(model.recipe.name)}[/] from {escape(source.name)} (sha256 {digest[:12]}…)",
        highlight=False,
        soft_wrap=True,
    )
    return 0
