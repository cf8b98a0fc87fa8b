"""A third-party plugin package, installed for real with pip, shows up with no change to srzoo."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

import srzoo
from srzoo.registry import loader as _plugins

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "srzoo-espcn"


@pytest.fixture(scope="module")
def installed_example(tmp_path_factory) -> Path:
    """``pip install`` the example into a private target folder (a real dist-info with entry points)."""
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
            str(EXAMPLE),
        ],
        check=True,
        capture_output=True,
        timeout=300,
        env={**os.environ, "PIP_NO_INDEX": "1"},
    )
    assert (target / "srzoo_espcn" / "__init__.py").is_file()
    assert list(target.glob("srzoo_espcn-0.1.0.dist-info/entry_points.txt"))
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
    assert "ESPCN x3 (example plugin)" in run("info", "espcn-x3", "--no-flops")


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
