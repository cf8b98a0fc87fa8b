"""A third-party plugin package, installed for real with pip, shows up with no change to srzoo."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import srzoo
from srzoo.registry import loader as _plugins

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "srzoo-espcn"


def _tree(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if "__pycache__" not in p.parts)


@pytest.fixture(scope="module")
def installed_example(tmp_path_factory) -> Path:
    """``pip install`` the example into a private target folder (a real dist-info with entry points).

    setuptools builds in the source folder (``build/``, ``*.egg-info``), so a copy is installed and
    the example in the repository is left exactly as it was.
    """
    before = _tree(EXAMPLE)
    source = tmp_path_factory.mktemp("src") / EXAMPLE.name
    shutil.copytree(EXAMPLE, source, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    target = tmp_path_factory.mktemp("site")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--disable-pip-version-check",
            "--target",
            str(target),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=300,
        env={**os.environ, "PIP_NO_INDEX": "1"},
    )
    assert (target / "srzoo_espcn" / "__init__.py").is_file()
    assert list(target.glob("srzoo_espcn-0.1.0.dist-info/entry_points.txt"))
    assert (target / "srzoo_espcn" / "espcn-x3.toml").is_file()  # the recipe travels as package data
    assert _tree(EXAMPLE) == before  # nothing built or left in the source tree
    return target


def test_cli_lists_and_describes_the_installed_plugin(installed_example: Path):
    env = {**os.environ, "PYTHONPATH": str(installed_example)}
    run = lambda *args: (
        subprocess.run(
            [sys.executable, "-m", "srzoo", *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
            check=True,
        ).stdout
    )
    assert "espcn" in run("list", "generator")
    plugins = run("plugins")
    assert "srzoo-espcn 0.1.0" in plugins and "espcn-x3" in plugins
    assert "ESPCN ×3 (example plugin)" in run("info", "espcn-x3", "--no-flops")


def test_build_finds_the_installed_plugin(installed_example: Path, monkeypatch):
    monkeypatch.syspath_prepend(str(installed_example))
    _plugins.reload()
    try:
        assert "espcn-x3" in srzoo.list_models()
        assert srzoo.describe("generator", "espcn").plugin == "espcn"
        model = srzoo.build("espcn-x3")
        assert model(torch.rand(2, 3, 7, 5)).shape == (2, 3, 21, 15)
        assert _plugins.state().plugins["espcn"].distribution == "srzoo-espcn"
    finally:
        monkeypatch.undo()
        _plugins.reload()
    assert "espcn-x3" not in srzoo.list_models()


def test_the_example_recipe_trains_and_benches_as_its_readme_says(installed_example: Path, tmp_path: Path):
    """The README's two commands, shortened: ``srzoo train espcn-x3`` then ``srzoo bench --weights``."""
    from srzoo.charts import make_chart
    from srzoo.imageio import write_image

    photos = tmp_path / "photos"
    photos.mkdir()
    for name in ("text", "edges"):
        write_image(make_chart(name, 64), photos / f"{name}.png")
    env = {**os.environ, "PYTHONPATH": str(installed_example), "OMP_NUM_THREADS": "1"}
    run = lambda *args: subprocess.run(
        [sys.executable, "-m", "srzoo", *args], capture_output=True, text=True, env=env, timeout=300
    )
    trained = run(
        "train", "espcn-x3", "--data", str(photos), "--out", str(tmp_path / "run"),
        "--max-steps", "3", "--batch-size", "2", "--val", "", "--quiet",
    )  # fmt: skip
    assert trained.returncode == 0, trained.stderr
    assert "trained espcn-x3 for 3 steps" in trained.stdout
    weights = tmp_path / "run" / "model.safetensors"
    bench = run(
        "bench", "--methods", "bicubic-x3,espcn-x3", "--weights", f"espcn-x3={weights}",
        "--data", "charts:48", "--metrics", "psnr", "--format", "json",
    )  # fmt: skip
    assert bench.returncode == 0, bench.stderr
    rows = {row["method"]: row for row in json.loads(bench.stdout)["results"]}
    assert set(rows) == {"bicubic-x3", "espcn-x3"}
    assert rows["espcn-x3"]["scale"] == 3 and rows["espcn-x3"]["images"] == 5
    assert 5 < rows["espcn-x3"]["psnr"] < 60


def test_the_batch_size_error_says_how_to_fix_it(installed_example: Path, tmp_path: Path):
    """The recipe's batch of 16 on a folder of 2 images: one line naming the fix."""
    from srzoo.charts import make_chart
    from srzoo.imageio import write_image

    data = tmp_path / "data"
    for name in ("text", "edges"):
        write_image(make_chart(name, 64), data / f"{name}.png")
    env = {**os.environ, "PYTHONPATH": str(installed_example), "OMP_NUM_THREADS": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "srzoo", "train", "espcn-x3", "--data", str(data), "--out",
         str(tmp_path / "run"), "--val", ""],
        capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"error: {data}: 2 image(s) (2 per process) are fewer than the batch size 16; lower --batch-size"
    )
