"""Checkpoint files in the core: readers registered by suffix, and one clear line when none fits.
None of these tests needs spandrel; the spandrel plugin's own tests are in test_spandrel.py."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest

import srzoo
from srzoo.cli import main
from srzoo.inference.checkpoints import checkpoint_suffixes, is_checkpoint
from srzoo.registry import loader as _plugins


def test_a_plugin_reads_its_suffix(throwaway_plugin, tmp_path: Path) -> None:
    calls = []

    def load(path, name):
        calls.append((path, name))
        return srzoo.build("bicubic-x2")

    def srzoo_register_checkpoint_formats(register):
        register(".toy", load, description="toy checkpoints")

    throwaway_plugin(
        types.SimpleNamespace(
            srzoo_register_checkpoint_formats=srzoo.hookimpl(srzoo_register_checkpoint_formats)
        ),
        "toy-reader",
    )
    file = tmp_path / "net.TOY"
    file.write_bytes(b"x")
    assert ".toy" in checkpoint_suffixes() and is_checkpoint(file) and not is_checkpoint("bicubic-x4")
    model = srzoo.load_checkpoint(file, name="toy")
    assert calls == [(file, "toy")] and model.scale == 2 and not model.training
    srzoo.load_checkpoint(file)
    assert calls[-1] == (file, "net")  # the default label is the file's stem
    with pytest.raises(srzoo.SrzooError, match=r"missing.toy: no such checkpoint file$"):
        srzoo.load_checkpoint(tmp_path / "missing.toy")


def test_a_bad_suffix_marks_the_plugin_broken(throwaway_plugin) -> None:
    def srzoo_register_checkpoint_formats(register):
        register("pth", "pkg.mod:load")

    with pytest.warns(
        _plugins.PluginWarning, match=r"registered a checkpoint format 'pth'; expected a file suffix"
    ):
        throwaway_plugin(
            types.SimpleNamespace(
                srzoo_register_checkpoint_formats=srzoo.hookimpl(srzoo_register_checkpoint_formats)
            ),
            "bad-reader",
        )


def test_a_suffix_no_plugin_reads_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(srzoo.SrzooError, match=r"no installed plugin reads \.xyz checkpoints \(readable: "):
        srzoo.load_checkpoint(tmp_path / "model.xyz")


@pytest.mark.parametrize("command", ["info", "upscale", "bench"])
def test_without_spandrel_a_checkpoint_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys, command: str
) -> None:
    monkeypatch.setitem(sys.modules, "spandrel", None)  # import spandrel raises ImportError
    file = tmp_path / "4x-model.pth"
    file.write_bytes(b"never read")
    argv = {
        "info": ["info", str(file)],
        "upscale": ["upscale", "chart:text", "-m", str(file), "-o", str(tmp_path / "o.png")],
        "bench": ["bench", "--methods", f"bicubic-x4,{file}", "--data", "charts:32", "--limit", "1"],
    }[command]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err == (
        f"error: reading the checkpoint {file} needs spandrel, which is not installed: "
        'pip install "srzoo[spandrel]"'
    )
