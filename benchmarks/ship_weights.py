"""Ship the small baselines srzoo trained on CMP Facades: weights, model cards and recipe entries.

Takes the finished runs that ``benchmarks/reproduce_paper.py --runs DIR`` kept (``DIR/NAME`` with
``recipe.toml``, ``model.safetensors`` and ``plan.json``), and for each shipped recipe:

1. writes its weights to ``recipes/weights/NAME.safetensors`` (float32 when that stays under
   ``MAX_BYTES``, else float16), with the run's facts in the safetensors metadata;
2. benches that very file on Facades ``test/`` beside ``bicubic`` at the same scale (the protocol
   of ``srzoo bench``) and refuses to ship a model that does not beat bicubic in PSNR-Y;
3. writes the model card ``recipes/weights/NAME.md`` (data, schedule, measured scores, sha256)
   and sets the recipe's ``pretrained = { file, sha256 }`` entry, the one place
   ``srzoo.build(NAME, pretrained=True)``, ``srzoo upscale``, ``srzoo bench`` and ``srzoo demo`` read;
4. writes ``docs/pretrained.md``, the cards gathered into one docs page.

    python benchmarks/ship_weights.py --runs runs/ --data facades/
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

import srzoo
from srzoo.weights import sha256_of

sys.path.insert(0, str(Path(__file__).parent))
import reproduce_paper
from reproduce_paper import Plan

ROOT = Path(__file__).resolve().parents[1]
RECIPES = ROOT / "recipes"
WEIGHTS = RECIPES / "weights"
DOCS_PAGE = ROOT / "docs" / "pretrained.md"
PACKAGE = "srzoo_recipes"

SHIPPED = ("srcnn-x4", "srcnn-x8", "lapsrn-x4", "lapsrn-x8")
MAX_BYTES = 4 * 1024 * 1024
"""A shipped file stays under this; float32 weights above it are stored as float16."""

DATA_CITATION = (
    'CMP Facade Database: R. Tyleček and R. Šára, "Spatial Pattern Templates for Recognition of '
    'Objects with Regular Structure", GCPR 2013 (distributed upstream for research use)'
)


def write_weights(run: Path, name: str, plan: Plan) -> tuple[Path, str]:
    """The run's weights as the shipped file; returns (path, dtype)."""
    state = load_file(run / "model.safetensors")
    metadata = {
        "recipe": name,
        "trained_by": "srzoo benchmarks/reproduce_paper.py",
        "data": "CMP Facades train/ (400 images)",
        "steps": str(plan.steps),
        "batch_size": str(plan.batch_size),
        "patch_size": str(plan.patch_size),
    }
    nbytes = sum(t.numel() * t.element_size() for t in state.values())
    dtype = "float32"
    if nbytes > MAX_BYTES:
        state = {k: v.half() if v.is_floating_point() else v for k, v in state.items()}
        dtype = "float16"
    metadata["dtype"] = dtype
    WEIGHTS.mkdir(exist_ok=True)
    path = WEIGHTS / f"{name}.safetensors"
    save_file({k: v.contiguous() for k, v in state.items()}, path, metadata=metadata)
    if path.stat().st_size > MAX_BYTES:
        raise SystemExit(f"{path}: {path.stat().st_size} bytes even as {dtype}, over {MAX_BYTES}")
    return path, dtype


def set_pretrained(name: str, file: str, digest: str) -> None:
    """Put ``pretrained = { file, sha256 }`` into the recipe's own file, before its first table."""
    path = RECIPES / f"{name}.toml"
    lines = [line for line in path.read_text().splitlines() if not line.startswith("pretrained = ")]
    entry = (
        f'pretrained = {{ file = "{file}", sha256 = "{digest}", data = "Facades" }}  '
        "# written by benchmarks/ship_weights.py"
    )
    first_table = next(i for i, line in enumerate(lines) if re.match(r"\s*\[", line))
    while first_table > 0 and (not lines[first_table - 1].strip() or lines[first_table - 1].startswith("#")):
        first_table -= 1
    lines.insert(first_table, entry)
    path.write_text("\n".join(lines) + "\n")


def card(name: str, plan: Plan, scores: dict[str, Any], dtype: str, digest: str, size: int) -> str:
    """The model card's body (Markdown, without its heading)."""
    recipe = srzoo.get_recipe(name)
    model, bicubic = scores["model"], scores["bicubic"]
    schedule = (
        f"{plan.steps} steps ({plan.epochs:g} epochs of {plan.steps_per_epoch} steps) at batch "
        f"{plan.batch_size}, HR patches {plan.patch_size}², {plan.precision} on {plan.device}, "
        f"{plan.wall_seconds / 60:.1f} min of training"
    )
    return "\n".join(
        [
            (
                f"{recipe.description.split(':')[0]}, trained by srzoo on CMP Facades. "
                f'Load it with `srzoo.build("{name}", pretrained=True)` or '
                f"`srzoo upscale -m {name} IN -o OUT` (the default weights of the command)."
            ),
            "",
            (
                f"- **Data:** Facades `train/`, the 400 photos (256×256) as HR; LR made by MATLAB-exact "
                f"bicubic ×{recipe.scale}, the recipe's degradation. {DATA_CITATION}."
            ),
            (
                f"- **Schedule:** {schedule}, {100 * plan.steps / plan.reference_steps:.3g}% of the "
                f"{reproduce_paper.REFERENCE_EPOCHS}-epoch reference schedule; `benchmarks/reproduce_paper.py`'s baseline "
                f"settings: {scores['note']}."
            ),
            (
                f"- **Scores** on all {model['images']} Facades `test/` images, `srzoo bench` protocol "
                f"(PSNR/SSIM on rounded Y, GSM, border of {recipe.scale} px shaved):"
            ),
            "",
            "  | method | PSNR-Y | SSIM-Y | GSM |",
            "  |---|---|---|---|",
            f"  | bicubic-x{recipe.scale} | {bicubic['psnr']:.3f} | {bicubic['ssim']:.4f} | {bicubic['gsm']:.4f} |",
            f"  | {name} | {model['psnr']:.3f} | {model['ssim']:.4f} | {model['gsm']:.4f} |",
            "",
            (
                f"  ({model['psnr'] - bicubic['psnr']:+.3f} dB over bicubic.) Trained on facades "
                "only; not measured on other content."
            ),
            (
                f"- **File:** `{PACKAGE}:weights/{name}.safetensors`, {size / 1024:.0f} KiB, {dtype}, "
                f"sha256 `{digest}`."
            ),
            "- **License:** MIT, like srzoo's code; the training images keep their own terms.",
            "",
        ]
    )


def write_docs_page(cards: Sequence[str]) -> None:
    """``docs/pretrained.md``: the model cards gathered into one page."""
    DOCS_PAGE.write_text(
        "# Shipped weights\n\n"
        "The small baselines below ship inside srzoo, trained by srzoo itself on CMP Facades "
        "(`benchmarks/reproduce_paper.py`'s runs, written by `benchmarks/ship_weights.py`). Each recipe "
        "names its file and sha256 in its `pretrained` entry; `srzoo.build(name, pretrained=True)`, "
        "and by default `srzoo upscale`, `srzoo bench` (which compares them with bicubic) and `srzoo demo`, "
        "load them. The same card ships beside each file as `srzoo_recipes/weights/NAME.md`. "
        "Stage-GAN's weights (481 MB for ×4 or ×8, float32) are too large to ship: see [Reproducing the paper]"
        "(reproduction.md) to train them with one command.\n\n" + "\n".join(cards)
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=Path, required=True, help="reproduce_paper.py's --runs folder")
    parser.add_argument("--data", type=Path, required=True, help="Facades root holding test/")
    args = parser.parse_args(argv)
    baselines = {model.label: model for model in reproduce_paper.models(smoke=False, vgg19=None)}
    cards = []
    for name in SHIPPED:
        run = args.runs / name
        plan = reproduce_paper.finished_plan(run, baselines[name])
        if plan is None:
            print(
                f"error: {run}: no finished full-width run of {name}; run reproduce_paper.py --runs first",
                file=sys.stderr,
            )
            return 1
        path, dtype = write_weights(run, name, plan)
        scale = srzoo.get_recipe(name).scale
        try:  # the registered recipe with the shipped file: exactly what pretrained=True builds
            results = srzoo.bench([f"bicubic-x{scale}", name], [f"{args.data}:test"], weights={name: path})
        except srzoo.SrzooError as exc:  # e.g. a --smoke run's tiny widths
            path.unlink()
            print(f"error: {name}: {exc}", file=sys.stderr)
            return 1
        bicubic, model = ({"psnr": r.psnr, "ssim": r.ssim, "gsm": r.gsm, "images": r.images} for r in results)
        if model["psnr"] <= bicubic["psnr"]:
            path.unlink()
            print(
                f"error: {name}: PSNR-Y {model['psnr']:.3f} dB does not beat bicubic's {bicubic['psnr']:.3f}; "
                "not shipped",
                file=sys.stderr,
            )
            return 1
        digest = sha256_of(path)
        set_pretrained(name, f"{PACKAGE}:weights/{name}.safetensors", digest)
        scores = {"model": model, "bicubic": bicubic, "note": baselines[name].note}
        text = card(name, plan, scores, dtype, digest, path.stat().st_size)
        (WEIGHTS / f"{name}.md").write_text(f"# Model card: {name}\n\n{text}")
        cards.append(f"## {name}\n\n{text}")
        print(
            f"{name}: {model['psnr']:.3f} dB vs bicubic {bicubic['psnr']:.3f}; {path} ({dtype}, {digest[:12]}…)"
        )
    write_docs_page(cards)
    return 0


if __name__ == "__main__":
    torch.set_flush_denormal(True)
    sys.exit(main())
