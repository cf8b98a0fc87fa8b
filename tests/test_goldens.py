"""Nothing changed: srzoo's results today against the goldens recorded before the restructure.

What is recorded, how, and when regenerating is legitimate: tests/make_goldens.py. The comparisons
allow float noise between machines and thread counts (relative 1e-5 on model outputs and scores,
1e-6 on training losses), far below what any change of behaviour moves.
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path
from typing import Any

import make_goldens as goldens
import numpy as np
import pytest

pytestmark = pytest.mark.usefixtures("one_thread")  # as the goldens were recorded

GOLDEN = json.loads(goldens.GOLDENS.read_text("utf-8"))
RECIPES = sorted(GOLDEN["recipes"])
HEAVY = 20_000_000
"""Recipes with more state-dict elements than this (full-width Stage-GAN, 5-30 s a forward on a
2-core CPU) compare their outputs in the slow suite only."""


def _elements(name: str) -> int:
    return sum(GOLDEN["recipes"][name]["state_dict"]["elements"].values())


def assert_close(actual: Any, expected: Any, rel: float, abs_: float, where: str = "") -> None:
    """Equal structure, equal ints and strings, floats within ``rel`` or ``abs_``."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict) and sorted(actual) == sorted(expected), (
            f"{where}: keys {sorted(actual) if isinstance(actual, dict) else actual} != {sorted(expected)}"
        )
        for key in expected:
            assert_close(actual[key], expected[key], rel, abs_, f"{where}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list) and len(actual) == len(expected), f"{where}: {actual} != {expected}"
        for index, (a, e) in enumerate(zip(actual, expected, strict=True)):
            assert_close(a, e, rel, abs_, f"{where}[{index}]")
    elif isinstance(expected, float):
        assert math.isclose(actual, expected, rel_tol=rel, abs_tol=abs_), (
            f"{where}: {actual!r} != {expected!r}"
        )
    else:
        assert actual == expected, f"{where}: {actual!r} != {expected!r}"


def test_every_builtin_recipe_has_goldens():
    assert goldens.builtin_recipes() == RECIPES, "a recipe was added or removed: see tests/make_goldens.py"


@pytest.mark.parametrize("name", RECIPES)
def test_recipe_to_dict_and_state_dict_keys_and_shapes(name):
    recorded = GOLDEN["recipes"][name]
    assert goldens.recipe_digest(name) == recorded["to_dict_sha256"], "Recipe.to_dict() changed"
    assert goldens.structure(name) == recorded["state_dict"]


@pytest.mark.parametrize(
    "name", [pytest.param(n, marks=pytest.mark.slow) if _elements(n) > HEAVY else n for n in RECIPES]
)
def test_outputs_untiled_tiled_fast_and_raw(name):
    assert_close(goldens.outputs(name), GOLDEN["outputs"][name], rel=1e-5, abs_=1e-6, where=name)


def test_bench_scores_on_the_charts(tmp_path):
    assert_close(goldens.bench(tmp_path), GOLDEN["bench"], rel=1e-5, abs_=1e-7, where="bench")


def _assert_same_png(data: bytes, recorded: dict[str, Any], name: str) -> None:
    """The same bytes; or, where float rounding on another machine moved a few pixels by one level,
    the same chunks but the pixels, and pixel sums within one level on 0.1% of the pixels."""
    if hashlib.sha256(data).hexdigest() == recorded["sha256"]:
        return
    actual = goldens.png_record(data)
    assert actual["chunks"] == recorded["chunks"], f"{name}: PNG header or metadata changed"
    pixels, expected = actual["pixels"], recorded["pixels"]
    assert (pixels["shape"], pixels["dtype"]) == (expected["shape"], expected["dtype"]), name
    budget = 1e-3 * np.prod(expected["shape"][:2])
    for key, limit in (("sum", budget), ("sum_sq", budget * 2 * 256)):
        for channel, (a, e) in enumerate(zip(pixels[key], expected[key], strict=True)):
            assert abs(a - e) <= limit, f"{name}: PNG pixels changed (channel {channel} {key} {a} != {e})"


@pytest.mark.parametrize("name", sorted(GOLDEN["upscale"]))
def test_upscale_png_bytes(name, tmp_path):
    _assert_same_png(goldens.upscale(name, tmp_path), GOLDEN["upscale"][name], name)


def test_seeded_three_step_training(tmp_path):
    recorded = GOLDEN["train"]
    assert recorded["args"] == goldens.TRAIN_ARGS
    result = goldens.train(tmp_path)
    assert [row["step"] for row in result["metrics"]] == [1, 2, 3]
    assert_close(result, {k: recorded[k] for k in ("metrics", "weights")}, rel=1e-6, abs_=1e-6, where="train")


def test_the_goldens_are_small_and_can_fail():
    assert goldens.GOLDENS.stat().st_size < 1_000_000
    changed = json.loads(json.dumps(GOLDEN["outputs"]["bicubic-x4"]))
    changed["untiled"]["samples"][0] += 1e-3
    with pytest.raises(AssertionError, match=r"bicubic-x4.untiled.samples\[0\]"):
        assert_close(changed, GOLDEN["outputs"]["bicubic-x4"], rel=1e-5, abs_=1e-6, where="bicubic-x4")
    assert Path(goldens.__file__).parent == Path(__file__).parent
