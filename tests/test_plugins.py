"""The plugin machinery: lazy loading, broken plugins, duplicates, unknown names."""

from __future__ import annotations

import subprocess
import sys
import types

import pytest

import srzoo
from srzoo.errors import DuplicateNameError, SrzooError, UnknownNameError
from srzoo.registry import loader as _plugins


def _plugin(name: str, **hooks: object) -> types.SimpleNamespace:
    return types.SimpleNamespace(__name__=name, **{k: srzoo.hookimpl(v) for k, v in hooks.items()})


def test_import_srzoo_imports_no_torch_and_no_plugins():
    code = "import sys, srzoo; print('torch' in sys.modules, any(m.startswith('srzoo_plugins') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_listing_imports_no_model_code():
    code = (
        "import sys, srzoo; names = srzoo.list_components('degradation'); "
        "print(len(names) > 0, 'torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["True", "False"]


def test_builtin_plugins_come_from_entry_points():
    state = _plugins.state()
    assert {"resize", "recipes"} <= set(state.plugins)
    assert state.plugins["resize"].distribution == "srzoo"
    assert state.plugins["resize"].error is None


def test_plugins_are_loaded_once():
    assert _plugins.state() is _plugins.state()


def test_throwaway_plugin_registers_a_generator(throwaway_plugin):
    def srzoo_register_generators(register):
        register("identity-net", "torch.nn:Identity", paper="none")

    throwaway_plugin(_plugin("tmp_gen", srzoo_register_generators=srzoo_register_generators), "tmp-gen")
    assert "identity-net" in srzoo.list_components("generator")
    entry = srzoo.describe("generator", "identity-net")
    assert entry.plugin == "tmp-gen" and entry.metadata.paper == "none"
    import torch

    assert isinstance(srzoo.create("generator", "identity-net"), torch.nn.Identity)


def test_plugin_raising_in_hook_warns_and_registers_nothing(throwaway_plugin):
    def srzoo_register_generators(register):
        register("half-registered", "torch.nn:Identity")
        raise RuntimeError("boom in hook")

    with pytest.warns(
        _plugins.PluginWarning, match=r"plugin 'exploding' .* broken .*RuntimeError: boom in hook"
    ):
        throwaway_plugin(
            _plugin("exploding", srzoo_register_generators=srzoo_register_generators), "exploding"
        )
    assert "half-registered" not in srzoo.list_components("generator")
    assert (
        _plugins.state().plugins["exploding"].error
        == "srzoo_register_generators raised RuntimeError: boom in hook"
    )
    assert "bicubic-x4" in srzoo.list_models()  # srzoo keeps working


def test_plugin_whose_import_raises_is_reported(tmp_path, monkeypatch):
    dist = tmp_path / "broken_plugin-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: broken-plugin\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[srzoo]\nbroken = broken_plugin_module\n")
    (tmp_path / "broken_plugin_module.py").write_text("raise ImportError('missing dependency xyz')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    _plugins.reload()
    try:
        with pytest.warns(
            _plugins.PluginWarning, match=r"'broken' .*import failed: ImportError: missing dependency xyz"
        ):
            state = _plugins.state()
        info = state.plugins["broken"]
        assert (info.distribution, info.version) == ("broken-plugin", "1.0")
        assert "bicubic-x4" in srzoo.list_models()
    finally:
        monkeypatch.undo()
        _plugins.reload()


def test_duplicate_name_errors_naming_both_plugins(throwaway_plugin):
    def first(register):
        register("twin", "torch.nn:Identity")

    def second(register):
        register("twin", "torch.nn:Identity")

    throwaway_plugin(_plugin("a", srzoo_register_losses=first), "plugin-a")
    throwaway_plugin(_plugin("b", srzoo_register_losses=second), "plugin-b")
    with pytest.raises(
        DuplicateNameError,
        match=r"loss 'twin' is registered twice: by plugin 'plugin-a' and by plugin 'plugin-b'",
    ):
        srzoo.create("loss", "twin")
    assert next(str(c) for c in _plugins.registry().conflicts()).startswith("loss 'twin' is registered twice")


def test_unknown_name_suggests_closest():
    with pytest.raises(UnknownNameError, match=r"unknown recipe 'bicubic-x44'; did you mean 'bicubic-x4'"):
        srzoo.build("bicubic-x44")
    with pytest.raises(UnknownNameError, match=r"unknown kind 'generators'; did you mean 'generator'"):
        srzoo.create("generators", "unet")


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: srzoo.create(5, "unet"),
            "kind names are strings, got int 5; registered: dataset, degradation, ",
        ),
        (
            lambda: srzoo.create("generator", 5),
            "generator names are strings, got int 5; registered: lapsrn, ",
        ),
        (lambda: srzoo.list_components(["generator"]), "kind names are strings, got list ['generator']; "),
        (
            lambda: srzoo.describe("metric", None),
            "metric names are strings, got NoneType None; registered: gsm, ",
        ),
    ],
)
def test_names_that_are_not_strings_are_refused_in_one_line(call, message):
    with pytest.raises(UnknownNameError) as caught:
        call()
    assert str(caught.value).startswith(message)


def test_create_rejects_unknown_arguments():
    with pytest.raises(
        SrzooError,
        match=r"degradation 'torch-bicubic' has no argument 'sclae' \(did you mean 'scale'\?\); it accepts: scale, direction, antialias",
    ):
        srzoo.create("degradation", "torch-bicubic", sclae=4)
    with pytest.raises(
        SrzooError, match=r"degradation 'torch-bicubic': missing a required argument: 'scale'"
    ):
        srzoo.create("degradation", "torch-bicubic")


def test_bad_lazy_reference_names_plugin(throwaway_plugin):
    def hook(register):
        register("ghost", "no_such_module_xyz:Net")

    throwaway_plugin(_plugin("g", srzoo_register_generators=hook), "ghost-plugin")
    with pytest.raises(
        SrzooError,
        match=r"generator 'ghost' from plugin 'ghost-plugin' could not load 'no_such_module_xyz:Net'",
    ):
        srzoo.create("generator", "ghost")


def test_register_rejects_empty_name(throwaway_plugin):
    def hook(register):
        register("", "torch.nn:Identity")

    with pytest.warns(_plugins.PluginWarning, match="expected a non-empty string"):
        throwaway_plugin(_plugin("e", srzoo_register_generators=hook), "empty-name")


def test_register_plugin_refuses_a_taken_name_and_unregister_an_unknown_one(throwaway_plugin):
    def hook(register):
        register("dup-net", "torch.nn:Identity")

    with pytest.raises(
        SrzooError, match=r"a plugin named 'stagegan' is already registered; pass another name="
    ):
        srzoo.register_plugin(_plugin("x", srzoo_register_generators=hook), "stagegan")
    assert _plugins.state().plugins["stagegan"].error is None
    throwaway_plugin(_plugin("y", srzoo_register_generators=hook), "mine")
    with pytest.raises(SrzooError, match=r"a plugin named 'mine' is already registered"):
        srzoo.register_plugin(_plugin("z", srzoo_register_generators=hook), "mine")
    with pytest.raises(
        SrzooError, match=r"no plugin named 'never' was registered with srzoo.register_plugin"
    ):
        srzoo.unregister_plugin("never")


def test_a_broken_runtime_plugin_is_not_retried_on_reload(throwaway_plugin):
    def hook(register):
        raise RuntimeError("broken once")

    with pytest.warns(_plugins.PluginWarning, match="broken once"):
        throwaway_plugin(_plugin("b", srzoo_register_generators=hook), "broken-once")
    _plugins.reload()
    assert "broken-once" not in _plugins.state().plugins  # no second warning (warnings are errors here)
