"""Every ``>>>`` example in the docstrings of srzoo and the built-in plugins runs and prints what it says.

An example runs as a reader would paste it: with only ``srzoo`` and ``torch`` imported, so it imports
anything else it uses itself (not the module's own globals, which pytest's doctests would lend it).
Each module is its own test, so that a failure names the module. ``srzoo_plugins`` is imported under
its installed name (``plugins/`` is mapped to it by the package-dir mapping), which
``pytest --doctest-modules`` on the ``plugins/`` folder would get wrong.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest
import torch

import srzoo

PACKAGES = ("srzoo", "srzoo_plugins")
OPTIONS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def _module_names() -> list[str]:
    names: list[str] = []
    for package_name in PACKAGES:
        package = importlib.import_module(package_name)
        names.append(package_name)
        for info in pkgutil.walk_packages(package.__path__, prefix=f"{package_name}."):
            if info.name.rpartition(".")[2] != "__main__":  # running it would start the CLI
                names.append(info.name)
    return sorted(names)


MODULES = _module_names()


def _examples(module_name: str) -> list[doctest.DocTest]:
    module = importlib.import_module(module_name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    tests = finder.find(module, module_name, globs={"srzoo": srzoo, "torch": torch})
    return [test for test in tests if test.examples]


def test_the_walk_finds_the_documented_modules():
    assert {
        "srzoo.api",
        "srzoo.model",
        "srzoo_plugins.bicubic.imresize",
        "srzoo_plugins.metrics.psnr",
    } <= set(MODULES)
    assert sum(len(_examples(name)) for name in MODULES) >= 20


@pytest.mark.parametrize("module_name", MODULES)
def test_docstring_examples_run(module_name: str, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # examples that write files write them here
    runner = doctest.DocTestRunner(optionflags=OPTIONS)
    for test in _examples(module_name):
        runner.run(test)
    results = runner.summarize(verbose=False)
    assert results.failed == 0, (
        f"{results.failed} of {results.attempted} examples failed in {module_name} (see the output above; "
        "examples get only srzoo and torch: import anything else in the example)"
    )
