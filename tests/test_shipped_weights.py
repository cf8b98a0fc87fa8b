"""The weights srzoo ships (trained on Facades, written by benchmarks/ship_weights.py): files, cards,
loading, scores under the script's shipping rule."""

from __future__ import annotations

import hashlib
import re
import sys
from pathlib import Path

import pytest
import torch
from safetensors import safe_open

import srzoo
from srzoo.bench.methods import default_methods

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import ship_weights

SHIPPED = sorted(n for n in srzoo.list_models() if srzoo.get_recipe(n).pretrained is not None)
SUBSET = 20
"""Facades test images the shipping-rule check uses (the cards give all 106)."""


def test_the_baselines_and_the_small_stagegan_ship_weights() -> None:
    assert SHIPPED == [
        "lapsrn-x4",
        "lapsrn-x8",
        "srcnn-x4",
        "srcnn-x8",
        "stagegan-x4-small",
        "stagegan-x8-small",
    ]


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_file_is_in_the_package_small_and_matches_its_sha256(name: str) -> None:
    entry = srzoo.get_recipe(name).pretrained
    assert entry is not None and entry.file == f"srzoo_recipes:weights/{name}.safetensors"
    path = entry.path()
    assert path.is_file()
    assert path.stat().st_size <= ship_weights.MAX_FILE_BYTES
    assert hashlib.sha256(path.read_bytes()).hexdigest() == entry.sha256
    with safe_open(str(path), "pt") as handle:
        assert handle.metadata()["recipe"] == name


def test_shipped_files_together_stay_under_the_limit() -> None:
    sizes = [srzoo.get_recipe(name).pretrained.path().stat().st_size for name in SHIPPED]
    assert sum(sizes) <= ship_weights.MAX_TOTAL_BYTES


@pytest.mark.parametrize("name", SHIPPED)
def test_model_card_states_data_schedule_scores_and_sha256(name: str) -> None:
    entry = srzoo.get_recipe(name).pretrained
    assert entry is not None
    text = entry.path().with_suffix(".md").read_text("utf-8")
    assert text.startswith(f"# Model card: {name}\n")
    assert entry.sha256 in text
    assert "Facades `train/`" in text and "steps" in text and "batch" in text
    rows = re.findall(r"^  \| (\S+) \| ([\d.]+) \| ([\d.]+) \| ([\d.]+) \|$", text, flags=re.MULTILINE)
    assert [row[0] for row in rows] == [f"bicubic-x{srzoo.get_recipe(name).scale}", name]
    bicubic, model = (ship_weights.Scores(float(p), float(s), float(g), 106) for _, p, s, g in rows)
    assert ship_weights.refusal(ship_weights.rule_for(srzoo.get_recipe(name)), model, bicubic) is None
    docs = (Path(__file__).resolve().parents[1] / "docs" / "pretrained.md").read_text("utf-8")
    assert entry.sha256 in docs  # the docs page is the cards gathered, not an older copy


@pytest.mark.parametrize("name", SHIPPED)
def test_build_pretrained_loads_the_shipped_weights(name: str) -> None:
    trained = srzoo.build(name, pretrained=True)
    untrained = srzoo.build(name)
    lr = torch.rand(1, 3, 12, 12, generator=torch.Generator().manual_seed(0))
    with torch.inference_mode():
        a, b = trained(lr), untrained(lr)
    scale = srzoo.get_recipe(name).scale
    assert a.shape == (1, 3, 12 * scale, 12 * scale)
    assert torch.isfinite(a).all() and not torch.equal(a, b)


def test_bench_compares_the_shipped_models_by_default() -> None:
    methods = default_methods()
    assert {"bicubic-x4", "bicubic-x8", *SHIPPED} <= set(methods)


@pytest.mark.shared_data
@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_model_passes_its_rule_on_a_facades_test_subset(name: str, data_dir: Path) -> None:
    recipe = srzoo.get_recipe(name)
    bicubic, model = srzoo.bench(
        [f"bicubic-x{recipe.scale}", name], [f"{data_dir / 'facades'}:test"], pretrained=True, limit=SUBSET
    )
    assert model.images == bicubic.images == SUBSET
    scores = [ship_weights.Scores(r.psnr, r.ssim, r.gsm, r.images) for r in (model, bicubic)]
    assert ship_weights.refusal(ship_weights.rule_for(recipe), *scores) is None


def test_info_names_the_shipped_file_and_its_card(capsys: pytest.CaptureFixture[str]) -> None:
    from srzoo.cli import main

    assert main(["info", "lapsrn-x4", "--no-flops"]) == 0
    out = " ".join(capsys.readouterr().out.split())  # rich wraps long cells
    assert "shipped weights" in out and "srzoo_recipes:weights/lapsrn-x4.safetensors" in out
    # a long install path wraps inside the table cell, between the cell's borders
    assert "lapsrn-x4.md" in re.sub(r"[\s│]", "", out)
