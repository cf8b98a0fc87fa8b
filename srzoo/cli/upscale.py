"""``srzoo upscale INPUT... --model RECIPE --out PATH``: super-resolve image files in bounded memory."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from srzoo.errors import SrzooError

from ._console import console, err_console, progress
from ._options import (
    UNWRITABLE_IMAGE_SUFFIXES,
    add_device_option,
    add_set_option,
    names_image_file,
    pick_device,
    recipe_with_settings,
)

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
        help="recipe name (srzoo list recipe), a .toml file, or a checkpoint file a plugin reads "
        "(e.g. .pth, .safetensors with srzoo[spandrel])",
    )
    parser.add_argument(
        "--label", metavar="NAME", help="the model's name in messages (a checkpoint's default: its file stem)"
    )
    parser.add_argument(
        "--weights", metavar="PATH", help=".safetensors weights (or a format the recipe's converter reads)"
    )
    parser.add_argument(
        "--pretrained",
        action="store_true",
        help="use the weights srzoo ships for the recipe (the default where it ships some; "
        "an error where it ships none)",
    )
    parser.add_argument(
        "--allow-untrained",
        action="store_true",
        help="run a learned model without weights (its output is noise from random weights)",
    )
    parser.add_argument(
        "--out",
        "-o",
        required=True,
        metavar="PATH",
        help="output folder, or an image file for a single input",
    )
    parser.add_argument(
        "--tile",
        default="auto",
        metavar="N|auto",
        help="LR tile side; auto (default) picks it from the free memory. Tiles carry the model's receptive "
        "field as context, so the result equals the untiled one",
    )
    parser.add_argument(
        "--tile-overlap",
        type=int,
        metavar="N",
        help="context per tile side in LR pixels (default: the model's receptive field; U-Nets: 8-pixel cross-fade)",
    )
    parser.add_argument("--no-fast", action="store_true", help="run the plain model instead of the fast path")
    parser.add_argument(
        "--bf16",
        action="store_true",
        help="bfloat16 fast path: faster on bf16 hardware, about 1e-2 absolute error (a few 8-bit levels)",
    )
    add_device_option(parser)
    add_set_option(parser, "override a recipe argument, e.g. sem.dropout_at_inference=true")


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
    if names_image_file(out):
        suffix = out.suffix.lower()
        if suffix in UNWRITABLE_IMAGE_SUFFIXES:
            raise SrzooError(
                f"--out {out}: srzoo cannot write {suffix} images; use .png, .jpg, .webp, .tif or .bmp, or a folder"
            )
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


def _parse_tile(text: str) -> int | None:
    if text == "auto":
        return None
    try:
        tile = int(text)
    except ValueError:
        raise SrzooError(f"--tile {text!r}: expected a number of LR pixels or auto") from None
    if tile < 1:
        raise SrzooError(f"--tile {tile}: expected a positive number of LR pixels or auto")
    return tile


@dataclass
class _Failure:
    item: str
    reason: str


def _check_inputs(items: list[str | Path]) -> tuple[list[tuple[int, str | Path]], list[_Failure]]:
    """Read every file's header before any work: unreadable files are failures, reported at the end."""
    from srzoo.imageio import image_size

    good, failures = [], []
    for index, item in enumerate(items):
        if isinstance(item, Path):
            try:
                image_size(item)
            except SrzooError as exc:
                failures.append(_Failure(str(item), str(exc)))
                continue
        good.append((index, item))
    return good, failures


def _is_out_of_memory(exc: BaseException) -> bool:
    import torch

    if isinstance(exc, (torch.OutOfMemoryError, MemoryError)):
        return True
    text = str(exc)
    return isinstance(exc, RuntimeError) and (
        "out of memory" in text or "can't allocate memory" in text or "not enough memory" in text
    )


def run(args: argparse.Namespace) -> int:
    import torch

    from srzoo.inference.checkpoints import is_checkpoint
    from srzoo.inference.loading import (
        has_pretrained,
        load_checkpoint_for_inference,
        load_for_inference,
        weights_line,
    )
    from srzoo.inference.upscaling import auto_tile, upscale_to_file

    items = _expand(args.inputs)
    targets = _targets(items, Path(args.out))
    for item, target in zip(items, targets, strict=True):
        if isinstance(item, Path) and item.resolve() == target.resolve():
            raise SrzooError(f"--out {target}: would overwrite the input {item}")
    tile = _parse_tile(args.tile)
    if args.bf16 and args.no_fast:
        raise SrzooError("--bf16 runs on the fast path; drop --no-fast")
    device = pick_device(args.device)
    if args.weights is not None and args.pretrained:
        raise SrzooError("--weights and --pretrained: give one of them")
    if is_checkpoint(args.model):
        if args.weights is not None or args.pretrained or args.overrides:
            raise SrzooError(
                f"--model {args.model} is a checkpoint with its own weights and architecture; "
                "drop --weights, --pretrained and --set"
            )
        loaded = load_checkpoint_for_inference(
            args.model, name=args.label, fast=not args.no_fast, bf16=args.bf16, device=device
        )
    else:
        recipe = recipe_with_settings(args.model, args.overrides)
        loaded = load_for_inference(
            recipe,
            weights=args.weights,
            pretrained=args.pretrained or (args.weights is None and has_pretrained(recipe)),
            fast=not args.no_fast,
            bf16=args.bf16,
            device=device,
        )
    model, runner = loaded.model, loaded.runner
    name = args.label or model.recipe.name
    if not loaded.trained and not args.allow_untrained:
        raise SrzooError(
            f"{name} is a learned model and no weights were given: its output would be noise from random "
            "weights and srzoo ships none for it; pass --weights PATH (or --allow-untrained)"
        )
    if loaded.learned:  # a parameter-free method (bicubic) uses no weights: nothing to say
        line = weights_line(name, loaded.weights, loaded.learned)
        err_console.print(line, markup=False, highlight=False, soft_wrap=True)
    good, failures = _check_inputs(items)
    if tile is None and good:
        tile = auto_tile(runner, device)
    written = 0
    with progress() as bar, torch.inference_mode():
        task = bar.add_task(f"upscaling ×{model.scale} with {name}", total=len(good))
        for index, item in good:
            target = targets[index]
            try:
                upscale_to_file(runner, item, target, tile, args.tile_overlap, device)
                written += 1
            except SrzooError as exc:
                failures.append(_Failure(str(item), str(exc)))
            except (RuntimeError, MemoryError) as exc:
                if not _is_out_of_memory(exc):
                    raise
                failures.append(
                    _Failure(
                        str(item),
                        f"out of memory upscaling with tile {tile}; pass a smaller --tile (e.g. --tile {max(16, (tile or 256) // 2)})",
                    )
                )
            bar.advance(task)
    if len(items) == 1 and failures:
        raise SrzooError(
            failures[0].reason
            if failures[0].reason.startswith(failures[0].item)
            else f"{failures[0].item}: {failures[0].reason}"
        )
    where = targets[0] if len(targets) == 1 else targets[0].parent
    console.print(
        f"wrote {written} of {len(items)} image(s) upscaled ×{model.scale} by {name} to {where}", markup=False
    )
    if failures:
        from rich.markup import escape

        for failure in failures:
            text = (
                failure.reason
                if failure.reason.startswith(failure.item)
                else f"{failure.item}: {failure.reason}"
            )
            err_console.print(f"[bold red]failed:[/] {escape(text)}", highlight=False, soft_wrap=True)
        return 2
    return 0
