"""``srzoo upscale INPUT... --model RECIPE --out PATH``: super-resolve image files."""

from __future__ import annotations

import argparse
from pathlib import Path

from srzoo.errors import SrzooError

from ._console import console, progress
from ._options import parse_assignments, pick_device

HELP = "Upscale images (files, folders, or built-in charts 'chart:NAME') with a recipe."

CHART_PREFIX = "chart:"


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "inputs",
        nargs="+",
        metavar="INPUT",
        help="image files, folders of images, or chart:NAME (e.g. chart:zone-plate)",
    )
    parser.add_argument(
        "--model",
        "-m",
        required=True,
        metavar="RECIPE",
        help="recipe name (srzoo list recipe) or a .toml file",
    )
    parser.add_argument(
        "--weights", metavar="PATH", help=".safetensors weights (or a format the recipe's converter reads)"
    )
    parser.add_argument(
        "--out",
        "-o",
        required=True,
        metavar="PATH",
        help="output folder, or an image file for a single input",
    )
    parser.add_argument(
        "--tile", type=int, metavar="N", help="process in N x N LR tiles (bounds memory on large images)"
    )
    parser.add_argument(
        "--tile-overlap", type=int, default=8, metavar="N", help="tile overlap in LR pixels (default 8)"
    )
    parser.add_argument("--device", default="auto", help="auto (default), cpu, cuda or cuda:N")
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a recipe argument, e.g. sem.dropout_at_inference=true",
    )


def _expand(inputs: list[str]) -> list[str | Path]:
    from srzoo.charts import CHARTS
    from srzoo.imageio import list_images

    items: list[str | Path] = []
    for text in inputs:
        if text.startswith(CHART_PREFIX):
            name = text.removeprefix(CHART_PREFIX)
            if name not in CHARTS:
                raise SrzooError(
                    f"{text}: unknown chart; expected one of: {', '.join(CHART_PREFIX + c for c in CHARTS)}"
                )
            items.append(text)
            continue
        path = Path(text)
        if path.is_dir():
            found = list_images(path)
            if not found:
                raise SrzooError(f"{path}: the folder holds no images")
            items.extend(found)
        elif path.is_file():
            items.append(path)
        else:
            raise SrzooError(f"{path}: no such file or folder")
    return items


def _targets(items: list[str | Path], out: Path) -> list[Path]:
    from srzoo.imageio import IMAGE_SUFFIXES

    if out.suffix.lower() in IMAGE_SUFFIXES and not out.is_dir():
        if len(items) != 1:
            raise SrzooError(
                f"--out {out}: an image file takes exactly one input, got {len(items)}; give a folder"
            )
        return [out]
    if out.exists() and not out.is_dir():
        raise SrzooError(f"--out {out}: exists and is not a folder")
    names = [Path(str(item).removeprefix(CHART_PREFIX)).stem + ".png" for item in items]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise SrzooError(
            f"inputs would overwrite each other in {out}: {', '.join(duplicates)}; upscale them separately"
        )
    return [out / name for name in names]


def run(args: argparse.Namespace) -> int:
    import torch

    import srzoo
    from srzoo.charts import make_chart
    from srzoo.imageio import read_image, write_image

    items = _expand(args.inputs)
    targets = _targets(items, Path(args.out))
    for item, target in zip(items, targets):
        if isinstance(item, Path) and item.resolve() == target.resolve():
            raise SrzooError(f"--out {target}: would overwrite the input {item}")
    device = pick_device(args.device)
    model = srzoo.build(args.model, weights=args.weights, **parse_assignments(args.overrides)).to(device)
    with progress() as bar, torch.inference_mode():
        task = bar.add_task(f"upscaling ×{model.scale} with {model.recipe.name}", total=len(items))
        for item, target in zip(items, targets):
            if isinstance(item, Path):
                image = read_image(item)
            else:
                image = make_chart(item.removeprefix(CHART_PREFIX))
            sr = model(image[None].to(device), tile=args.tile, tile_overlap=args.tile_overlap)
            write_image(sr[0], target)
            bar.advance(task)
    where = targets[0] if len(targets) == 1 else targets[0].parent
    console.print(
        f"wrote {len(targets)} image(s) upscaled ×{model.scale} by {model.recipe.name} to {where}",
        markup=False,
    )
    return 0
