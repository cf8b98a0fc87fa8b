"""A recipe file is data: ``pretrained = { file = "PKG:PATH" }`` never imports a module it names.

Shipped weights are found in the package of a loaded plugin (the one that registers the recipe),
only when weights are asked for; any other package gets one line and nothing is imported.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import srzoo
from srzoo.errors import WeightsError
from srzoo.recipe import load_recipe

RECIPES = Path(__file__).resolve().parents[1] / "recipes"
SHA256 = "0" * 64


def _recipe_file(folder: Path, name: str, file: str) -> Path:
    """srcnn-x4 (a learned recipe) renamed ``name``, declaring ``pretrained.file = file``."""
    text = (RECIPES / "srcnn-x4.toml").read_text(encoding="utf-8")
    text = text.replace('name = "srcnn-x4"', f'name = "{name}"', 1)
    lines = [line for line in text.splitlines() if not line.startswith("pretrained = ")]
    lines.insert(1, f'pretrained = {{ file = "{file}", sha256 = "{SHA256}" }}')
    path = folder / f"{name}.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def evil(tmp_path: Path) -> Path:
    """A folder holding ``evilpkg`` (importing it writes MARKER), a recipe naming it, and an image."""
    package = tmp_path / "evilpkg"
    package.mkdir()
    (package / "__init__.py").write_text(
        "from pathlib import Path\nPath(__file__).resolve().parents[1].joinpath('MARKER').write_text('ran')\n"
    )
    _recipe_file(tmp_path, "evil", "evilpkg:weights.safetensors")
    _recipe_file(tmp_path, "this", "this:x")
    from PIL import Image

    Image.new("RGB", (8, 8), (120, 30, 200)).save(tmp_path / "in.png")
    return tmp_path


def _srzoo(folder: Path, *args: str, module: bool = True) -> subprocess.CompletedProcess[str]:
    """``python -m srzoo ARGS`` (the working directory on sys.path) or the console script, in ``folder``."""
    command = [sys.executable, "-m", "srzoo"] if module else [str(Path(sys.executable).with_name("srzoo"))]
    env = {**os.environ, "PYTHONPATH": str(folder)}  # as if the folder were importable in every case
    return subprocess.run([*command, *args], cwd=folder, capture_output=True, text=True, timeout=120, env=env)


@pytest.mark.parametrize("module", [True, False], ids=["python-m-srzoo", "console-script"])
@pytest.mark.parametrize(
    "args",
    [
        ("info", "evil.toml"),
        ("upscale", "-m", "evil.toml", "in.png", "-o", "out.png"),
        ("upscale", "-m", "evil.toml", "--pretrained", "in.png", "-o", "out.png"),
    ],
    ids=["info", "upscale", "upscale-pretrained"],
)
def test_a_recipe_never_imports_the_package_its_weights_name(evil: Path, args, module):
    result = _srzoo(evil, *args, module=module)
    assert not (evil / "MARKER").exists()
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert not (evil / "out.png").exists()


def test_a_package_that_is_no_plugin_is_one_line_and_exit_2(evil: Path):
    result = _srzoo(evil, "info", "this.toml", module=False)
    assert result.returncode == 2
    assert "Beautiful is better than ugly" not in result.stdout + result.stderr  # `this` never ran
    assert result.stderr.strip() == (
        "error: this.toml: pretrained file 'this:x': 'this' is not the package of a loaded srzoo plugin; "
        "srzoo never imports what a recipe file names, so give a path relative to the recipe file instead"
    )
    assert result.stdout == ""


def test_loading_and_building_import_nothing_and_weights_resolve_only_when_asked(evil: Path, monkeypatch):
    monkeypatch.syspath_prepend(str(evil))
    recipe = load_recipe(evil / "evil.toml")
    assert recipe.pretrained.file == "evilpkg:weights.safetensors"
    assert recipe.pretrained.package == "evilpkg"
    srzoo.build(evil / "evil.toml")  # without weights: the pretrained table is not looked at
    with pytest.raises(
        WeightsError, match=r"evil.toml: pretrained file 'evilpkg:weights.safetensors': 'evilpkg'"
    ):
        srzoo.build(evil / "evil.toml", pretrained=True)
    with pytest.raises(
        WeightsError, match=r"^pretrained file 'evilpkg:weights.safetensors': 'evilpkg' is not"
    ):
        recipe.pretrained.path()
    assert "evilpkg" not in sys.modules
    assert not (evil / "MARKER").exists()


def test_a_loaded_plugins_package_still_ships_weights():
    recipe = srzoo.get_recipe("srcnn-x4")
    assert recipe.pretrained.package == "srzoo_recipes"
    assert recipe.pretrained.path() == RECIPES / "weights" / "srcnn-x4.safetensors"
