"""The built wheel holds every module, recipe and shipped file of the source tree.

The expected list is derived from the source tree (every file git tracks, or would track, below the
folders setup.py maps to import packages), never written by hand, so a new subpackage, recipe or
weights file that the packaging would leave out fails here. Set ``SRZOO_WHEEL`` to a built wheel
to check that one (.ci/wheel_smoke.sh does); otherwise the test builds one from a copy of the tree.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def package_dirs() -> dict[str, str]:
    """setup.py's ``PACKAGE_DIRS`` (import package -> folder), read without running setup.py."""
    tree = ast.parse((REPO / "setup.py").read_text("utf-8"))
    for statement in tree.body:
        if isinstance(statement, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "PACKAGE_DIRS" for target in statement.targets
        ):
            return ast.literal_eval(statement.value)
    raise AssertionError("setup.py defines no PACKAGE_DIRS")


def source_files() -> list[str]:
    """The tree's files as git sees them (tracked, or untracked and not ignored), relative to REPO."""
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("needs a git checkout to tell source files from build outputs")
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout.decode()
    return [name for name in listed.split("\0") if name and (REPO / name).is_file()]


def expected_wheel_files(files: list[str]) -> set[str]:
    """Where every file below a package folder lands in the wheel (``plugins/x.py`` -> ``srzoo_plugins/x.py``)."""
    expected = set()
    for package, folder in package_dirs().items():
        prefix = folder.rstrip("/") + "/"
        expected |= {package + "/" + name.removeprefix(prefix) for name in files if name.startswith(prefix)}
    return expected


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``$SRZOO_WHEEL``, or a wheel built from a copy of the source tree (no stale build/ folder)."""
    given = os.environ.get("SRZOO_WHEEL")
    if given:
        return Path(given)
    copy = tmp_path_factory.mktemp("source")
    for name in source_files():
        (copy / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / name, copy / name)
    out = tmp_path_factory.mktemp("wheel")
    pip_wheel = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q"]
    subprocess.run([*pip_wheel, "-w", str(out), str(copy)], check=True, capture_output=True, timeout=300)
    (built,) = out.glob("srzoo-*.whl")
    return built


def test_expected_files_follow_the_package_folders():
    sources = [
        "srzoo/api.py",
        "srzoo/bench/runner.py",
        "plugins/stagegan/__init__.py",
        "recipes/weights/a.md",
    ]
    expected = expected_wheel_files([*sources, "docs/x.md", "setup.py"])
    assert expected == {
        "srzoo/api.py",
        "srzoo/bench/runner.py",
        "srzoo_plugins/stagegan/__init__.py",
        "srzoo_recipes/weights/a.md",
    }


@pytest.mark.slow  # builds a wheel (about 10 s) unless SRZOO_WHEEL names one
def test_wheel_holds_every_module_recipe_and_weights_file(wheel: Path):
    expected = expected_wheel_files(source_files())
    assert {"srzoo/bench/__init__.py", "srzoo/train/__init__.py", "srzoo/py.typed"} <= expected
    weights = [name for name in expected if name.startswith("srzoo_recipes/weights/")]
    assert any(name.endswith(".safetensors") for name in weights)
    in_wheel = set(zipfile.ZipFile(wheel).namelist())
    missing = sorted(expected - in_wheel)
    assert not missing, f"{wheel.name} lacks {len(missing)} source files, e.g. {missing[:8]}"
    entry_points = next(name for name in in_wheel if name.endswith(".dist-info/entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "srzoo = srzoo.cli:main" in text and "[srzoo]" in text
