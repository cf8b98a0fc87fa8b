"""Hooks through pluggy: per-plugin isolation, check_pending, factories, BaseExceptions,
SRZOO_LOAD_PLUGINS, plugin commands and the targets a dataset declares."""

from __future__ import annotations

import os
import signal
import types

import pytest

import srzoo
from srzoo.cli import main
from srzoo.errors import RecipeError
from srzoo.recipe import parse_recipe
from srzoo.registry import loader as _plugins


def _plugin(**hooks: object) -> types.SimpleNamespace:
    return types.SimpleNamespace(**{k: srzoo.hookimpl(v) for k, v in hooks.items()})


def _install(tmp_path, monkeypatch, name: str, source: str) -> None:
    """An installed distribution with one entry point ``name`` whose module is ``source``."""
    module = f"ep_{name.replace('-', '_')}"
    dist = tmp_path / f"{module}-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module}\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(f"[srzoo]\n{name} = {module}\n")
    (tmp_path / f"{module}.py").write_text(source)
    monkeypatch.syspath_prepend(str(tmp_path))


@pytest.fixture
def fresh():
    _plugins.reload()
    yield
    _plugins.reload()


def test_a_misspelt_hook_marks_the_plugin_broken_naming_it(throwaway_plugin):
    def srzoo_register_generator(register):  # missing the final "s"
        register("never-seen", "torch.nn:Identity")

    with pytest.warns(
        _plugins.PluginWarning,
        match=r"plugin 'typo' .* broken .*unknown hook 'srzoo_register_generator' \(did you mean 'srzoo_register_generators'\?\)",
    ):
        throwaway_plugin(_plugin(srzoo_register_generator=srzoo_register_generator), "typo")
    assert _plugins.state().plugins["typo"].error.startswith("unknown hook 'srzoo_register_generator'")
    assert "never-seen" not in srzoo.list_components("generator")
    assert "unet" in srzoo.list_components("generator")


def test_a_non_callable_factory_is_refused_at_registration(throwaway_plugin):
    def hook(register):
        register("fine-net", "torch.nn:Identity")
        register("number-net", 123)

    with pytest.warns(
        _plugins.PluginWarning,
        match=r"registered generator 'number-net' with the factory 123; expected a callable or a 'package.module:attribute' string",
    ):
        throwaway_plugin(_plugin(srzoo_register_generators=hook), "numbers")
    assert _plugins.state().plugins["numbers"].error.startswith("srzoo_register_generators raised SrzooError")
    assert "fine-net" not in srzoo.list_components("generator")  # all or nothing

    def no_colon(register):
        register("bad-ref", "torch.nn.Identity")

    with pytest.warns(_plugins.PluginWarning, match=r"with the factory 'torch.nn.Identity'; expected"):
        throwaway_plugin(_plugin(srzoo_register_generators=no_colon), "no-colon")


def test_a_hook_with_a_wrong_argument_name_is_reported_in_one_line(throwaway_plugin):
    def hook(reg):
        reg("never-seen", "torch.nn:Identity")

    with pytest.warns(_plugins.PluginWarning) as caught:
        throwaway_plugin(_plugin(srzoo_register_generators=hook), "wrong-arg")
    expected = (
        "invalid hook 'srzoo_register_generators' (defined as hook(reg)): Argument(s) {'reg'} are declared in the hookimpl but "
        "can not be found in the hookspec (srzoo's register hooks take 'register', the commands hook 'cli')"
    )
    assert _plugins.state().plugins["wrong-arg"].error == expected
    assert str(caught[0].message).endswith(expected)
    assert "never-seen" not in srzoo.list_components("generator")


def test_a_hook_without_the_hookimpl_decorator_marks_the_plugin_broken(throwaway_plugin):
    def srzoo_register_generators(register):
        register("never-seen", "torch.nn:Identity")

    with pytest.warns(_plugins.PluginWarning, match=r"plugin 'undecorated' .* broken"):
        throwaway_plugin(
            types.SimpleNamespace(srzoo_register_generators=srzoo_register_generators), "undecorated"
        )
    assert _plugins.state().plugins["undecorated"].error == (
        "srzoo_register_generators lacks the @srzoo.hookimpl decorator, so srzoo would never call it"
    )
    assert "never-seen" not in srzoo.list_components("generator")


class _Custom(BaseException):
    pass


@pytest.mark.parametrize("raised", [SystemExit(3), _Custom("custom base exception"), KeyboardInterrupt()])
def test_base_exceptions_in_hooks_are_isolated(throwaway_plugin, raised):
    def hook(register):
        register("half", "torch.nn:Identity")
        raise raised

    with pytest.warns(_plugins.PluginWarning, match=rf"srzoo_register_losses raised {type(raised).__name__}"):
        throwaway_plugin(_plugin(srzoo_register_losses=hook), "exiting")
    assert "half" not in srzoo.list_components("loss")
    assert "l1" in srzoo.list_components("loss")


def test_a_real_ctrl_c_while_loading_still_interrupts(throwaway_plugin):
    def hook(register):
        os.kill(os.getpid(), signal.SIGINT)  # the user presses Ctrl-C while this plugin loads
        register("never", "torch.nn:Identity")

    # Python's own Ctrl-C handler, as in a terminal: a shell starts background jobs with SIGINT ignored
    outer = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt):
            srzoo.register_plugin(_plugin(srzoo_register_losses=hook), "slow")
        assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # restored
    finally:
        signal.signal(signal.SIGINT, outer)
    assert "slow" not in _plugins.state().plugins or _plugins.state().plugins["slow"].error
    assert "never" not in srzoo.list_components("loss")


def test_system_exit_and_base_exceptions_at_import_do_not_end_srzoo_list(
    tmp_path, monkeypatch, fresh, capsys
):
    _install(tmp_path, monkeypatch, "quitter", "raise SystemExit('bye from import')\n")
    _install(tmp_path, monkeypatch, "odd", "class Odd(BaseException): pass\nraise Odd('odd one')\n")
    _plugins.reload()
    assert main(["list", "recipes"]) == 0
    captured = capsys.readouterr()
    assert "bicubic-x4" in captured.out
    assert (
        "'quitter' (ep_quitter) is broken and was skipped: import failed: SystemExit: bye from import"
        in captured.err
    )
    assert "import failed: Odd: odd one" in captured.err


def test_srzoo_load_plugins_narrows_what_loads(monkeypatch, fresh):
    monkeypatch.setenv("SRZOO_LOAD_PLUGINS", "")
    _plugins.reload()
    assert _plugins.state().plugins == {} and srzoo.list_models() == []
    monkeypatch.setenv("SRZOO_LOAD_PLUGINS", "resize, recipes")
    _plugins.reload()
    assert set(_plugins.state().plugins) == {"resize", "recipes"}
    assert srzoo.list_components("degradation") == ["torch-bicubic", "torch-bilinear", "torch-nearest"]
    monkeypatch.setenv("SRZOO_LOAD_PLUGINS", "resize,stagegann")
    _plugins.reload()
    with pytest.warns(
        _plugins.PluginWarning,
        match=r"SRZOO_LOAD_PLUGINS names 'stagegann', not installed; installed: .*stagegan",
    ):
        assert set(_plugins.state().plugins) == {"resize"}
    monkeypatch.delenv("SRZOO_LOAD_PLUGINS")
    _plugins.reload()
    assert {"resize", "stagegan", "datasets"} <= set(_plugins.state().plugins)


def test_srzoo_load_plugins_without_datasets_has_no_data_command(monkeypatch, fresh, capsys):
    monkeypatch.setenv("SRZOO_LOAD_PLUGINS", "resize")
    _plugins.reload()
    with pytest.raises(SystemExit):
        main(["data", "facades", "--to", "x"])
    assert "invalid choice: 'data'" in capsys.readouterr().err


def test_plugin_commands(throwaway_plugin, capsys):
    calls = []

    def configure(parser):
        parser.add_argument("--who", default="world")

    def run(args):
        calls.append(args.who)
        return 0

    def commands(cli):
        cli.add_command("hello", run, help="Say hello.", configure=configure)

    throwaway_plugin(_plugin(srzoo_register_commands=commands), "greeter")
    assert main(["hello", "--who", "srzoo"]) == 0 and calls == ["srzoo"]
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert "hello" in out and "Say hello." in out and "data" in out

    def shadowing(cli):
        cli.add_command("list", run, help="Not srzoo's list.")

    throwaway_plugin(_plugin(srzoo_register_commands=shadowing), "shadow")
    assert main(["list", "metrics"]) == 0
    assert (
        "plugin 'shadow' adds the command 'list', which srzoo's own 'list' command shadows"
        in capsys.readouterr().err
    )

    def lazy_broken(cli):
        cli.add_command(
            "ghost", "no_such_module_xyz:run", help="Broken.", configure="no_such_module_xyz:configure"
        )

    throwaway_plugin(_plugin(srzoo_register_commands=lazy_broken), "ghosts")
    assert main(["list", "metrics"]) == 0
    assert (
        "command 'ghost' from plugin 'ghosts' could not load 'no_such_module_xyz:configure'"
        in capsys.readouterr().err
    )


def test_bad_commands_and_command_clashes(throwaway_plugin):
    def bad(cli):
        cli.add_command("Bad Name", print, help="x")

    with pytest.warns(_plugins.PluginWarning, match=r"adds command 'Bad Name'; a command name is lower-case"):
        throwaway_plugin(_plugin(srzoo_register_commands=bad), "bad-cmd")

    def not_callable(cli):
        cli.add_command("nope", 42, help="x")

    with pytest.warns(_plugins.PluginWarning, match=r"adds command 'nope' with run=42; expected a callable"):
        throwaway_plugin(_plugin(srzoo_register_commands=not_callable), "nope-cmd")

    def twin(cli):
        cli.add_command("twin", print, help="twin")

    throwaway_plugin(_plugin(srzoo_register_commands=twin), "first-twin")
    with pytest.warns(
        _plugins.PluginWarning,
        match=r"command 'twin' is registered by plugin 'first-twin' and by plugin 'second-twin'",
    ):
        throwaway_plugin(_plugin(srzoo_register_commands=twin), "second-twin")
    assert "twin" not in _plugins.state().commands


def test_list_says_why_a_clashing_name_is_hidden(throwaway_plugin, capsys):
    def hook(register):
        register("twin-loss", "torch.nn:L1Loss")

    throwaway_plugin(_plugin(srzoo_register_losses=hook), "loss-a")
    throwaway_plugin(_plugin(srzoo_register_losses=hook), "loss-b")
    assert main(["list", "losses"]) == 0
    out = capsys.readouterr().out
    assert (
        "hidden: loss 'twin-loss' is registered twice: by plugin 'loss-a' and by plugin 'loss-b'"
        in " ".join(out.split())
    )


def test_ground_truth_targets_are_those_the_dataset_declares():
    base = {
        "name": "t",
        "scale": 2,
        "nodes": [{"name": "sr", "degradation": "torch-bicubic", "args": {"scale": 2, "direction": "up"}}],
    }
    loss = {"loss": "l1", "node": "sr", "target": "semantic"}
    recipe = parse_recipe({**base, "train": {"dataset": "facades", "losses": [loss]}})
    assert recipe.train.losses[0].target == "semantic"
    assert srzoo.describe("dataset", "facades").metadata.targets == ("hr", "lr", "semantic")
    with pytest.raises(
        RecipeError,
        match=r"key 'train.losses\[0\].target': expected a ground-truth key \(hr, lr\), got 'semantic'",
    ):
        parse_recipe({**base, "train": {"dataset": "folder", "losses": [loss]}})


def test_a_hook_looking_up_components_while_plugins_load_is_isolated():
    def hook(register):
        srzoo.list_components("generator")  # during loading: would recurse into loading again

    _plugins._extra.append(("looks-up", _plugin(srzoo_register_losses=hook)))
    _plugins.reload()
    try:
        with pytest.warns(_plugins.PluginWarning, match=r"srzoo's plugins are still loading"):
            loaded = _plugins.state()  # the hook runs while loading: isolated, no recursion
        assert loaded.plugins["looks-up"].error.startswith("srzoo_register_losses raised SrzooError")
        assert "l1" in srzoo.list_components("loss")
    finally:
        _plugins._extra[:] = [(n, p) for n, p in _plugins._extra if n != "looks-up"]
        _plugins.reload()


def test_an_unhashable_plugin_registers_after_the_registry_loaded(throwaway_plugin):
    srzoo.list_models()  # the registry is loaded before the plugin comes

    @srzoo.hookimpl
    def srzoo_register_recipes(register):
        register("namespace-x4", srzoo.get_recipe("bicubic-x4").to_dict() | {"name": "namespace-x4"})

    throwaway_plugin(types.SimpleNamespace(srzoo_register_recipes=srzoo_register_recipes), "namespace-plugin")
    assert srzoo.get_recipe("namespace-x4").scale == 4
