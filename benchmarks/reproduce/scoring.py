"""Benching the trained models (and each Stage-GAN's Stage-1 image) with ``srzoo.bench``."""

from __future__ import annotations

import argparse
import tomllib
from pathlib import Path

import srzoo
from srzoo.bench import BenchResult
from srzoo.train.rundir import dumps_toml

from .models import Model


def _stage1_method(run: Path, scratch: Path) -> tuple[Path, Path]:
    """A recipe and weights whose output is the run's Stage-1 image (node ``s2``).

    The refiner node ``sr`` is dropped and ``s2`` renamed to ``sr`` (the output's name), in the
    recipe and in the weights' keys; the ``[train]`` table is not needed to upscale.
    """
    from safetensors.torch import load_file, save_file

    data = tomllib.loads((run / "recipe.toml").read_text())
    data.pop("train", None)
    data["name"] = f"{data['name']}-stage1"
    nodes = [dict(n) for n in data["nodes"] if n["name"] != "sr"]
    for node in nodes:
        if node["name"] == "s2":
            node["name"] = "sr"
    data["nodes"] = nodes
    recipe = scratch / f"{run.name}-stage1.toml"
    recipe.write_text(dumps_toml(data))
    state = load_file(run / "model.safetensors")
    renamed = {}
    for key, value in state.items():
        if key.startswith("stages.sr."):
            continue
        renamed[key.replace("stages.s2.", "stages.sr.", 1)] = value
    weights = scratch / f"{run.name}-stage1.safetensors"
    save_file(renamed, weights)
    return recipe, weights


def bench_all(
    trained: dict[str, tuple[Model, Path]], args: argparse.Namespace, scratch: Path, limit: int | None
) -> list[BenchResult]:
    """Bench bicubic-x4/x8, every trained model and the Stage-1 outputs, relabelled for the table."""
    methods: list[str] = ["bicubic-x4", "bicubic-x8"]
    weights: dict[str, Path] = {}
    labels = {"bicubic-x4": "bicubic-x4", "bicubic-x8": "bicubic-x8"}
    for label, (model, run) in trained.items():
        recipe = str(run / "recipe.toml")
        methods.append(recipe)
        weights[recipe] = run / "model.safetensors"
        labels[recipe] = label
        if model.stage1:
            stage1_recipe, stage1_weights = _stage1_method(run, scratch)
            stage1 = str(stage1_recipe)
            methods.append(stage1)
            weights[stage1] = stage1_weights
            labels[stage1] = f"{label} (Stage-1)"
    return srzoo.bench(
        methods,
        [f"{args.data}:test"],
        weights=weights,
        labels=labels,
        limit=limit,
        keep_images=True,
        device=args.bench_device,
    )
