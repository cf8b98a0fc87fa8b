"""A registered recipe is parsed once, and once per set of overrides; a new registration is parsed again."""

from __future__ import annotations

import pytest

import srzoo
from srzoo.bench.methods import default_methods
from srzoo.recipe import core


@pytest.fixture
def parses(monkeypatch) -> list[str]:
    """The sources ``parse_recipe`` is called for, from a clean cache."""
    monkeypatch.setattr(core, "_PARSED", {})
    monkeypatch.setattr(core, "_WITH_OVERRIDES", {})
    calls: list[str] = []
    parse = core.parse_recipe

    def counted(data, **kwargs):
        calls.append(kwargs.get("source", "<recipe>"))
        return parse(data, **kwargs)

    monkeypatch.setattr(core, "parse_recipe", counted)
    return calls


def test_listing_the_default_bench_methods_parses_each_recipe_once(parses):
    default_methods()
    first = len(parses)
    assert first == len(set(parses)) <= len(srzoo.list_models())  # no recipe twice, bases included
    default_methods()
    srzoo.build("stagegan-x4-small-nosem")  # a variant: its base is already parsed
    assert len(parses) == first


def test_the_same_overrides_are_applied_once(parses):
    first = srzoo.build("srcnn-x4", **{"sr.filters": [32, 16]}).recipe
    count = len(parses)
    again = srzoo.build("srcnn-x4", **{"sr.filters": [32, 16]}).recipe
    assert again is first and len(parses) == count
    other = srzoo.build("srcnn-x4", **{"sr.filters": [16, 16]}).recipe
    assert other.node("sr").args["filters"] == [16, 16] and len(parses) == count + 1
    assert srzoo.get_recipe("srcnn-x4").node("sr").args["filters"] == [64, 32]  # the original is unchanged


class _Recipes:
    def __init__(self, description: str) -> None:
        self.description = description

    @srzoo.hookimpl
    def srzoo_register_recipes(self, register):
        register("cached-x4", {**_BICUBIC, "name": "cached-x4", "description": self.description})


_BICUBIC = {
    "name": "bicubic-x4",
    "scale": 4,
    "nodes": [{"name": "sr", "degradation": "bicubic", "args": {"scale": 4, "direction": "up"}}],
}


def test_a_recipe_registered_again_is_parsed_again(parses):
    srzoo.register_plugin(_Recipes("one"), "cache-one")
    try:
        assert srzoo.get_recipe("cached-x4").description == "one"
        assert srzoo.get_recipe("cached-x4") is srzoo.get_recipe("cached-x4")
    finally:
        srzoo.unregister_plugin("cache-one")
    srzoo.register_plugin(_Recipes("two"), "cache-two")
    try:
        assert srzoo.get_recipe("cached-x4").description == "two"  # not the first registration's
    finally:
        srzoo.unregister_plugin("cache-two")
