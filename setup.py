"""Which import packages the srzoo distribution ships: found, not listed (the rest is pyproject.toml).

Three import packages come from three folders: ``srzoo`` (the library), ``srzoo_plugins``
(``plugins/``, the built-in plugins) and ``srzoo_recipes`` (``recipes/``, the recipe files and the
weights srzoo ships). Every folder below them holding an ``__init__.py`` is a subpackage and goes
into the wheel, so a new one cannot be forgotten; tests/test_wheel.py checks the built wheel
against the source tree. pyproject.toml's ``[tool.setuptools]`` cannot do this itself: its package
finder names packages after their folders, and ``plugins/`` must install as ``srzoo_plugins``.
"""

from setuptools import find_packages, setup

PACKAGE_DIRS = {"srzoo": "srzoo", "srzoo_plugins": "plugins", "srzoo_recipes": "recipes"}
"""Import package -> the folder (relative to this file) that holds it."""


def packages(name: str, folder: str) -> list[str]:
    """``name`` and every subpackage found below ``folder``, named as installed (``name.sub``)."""
    return [name, *(f"{name}.{sub}" for sub in find_packages(folder))]


setup(
    package_dir=PACKAGE_DIRS,
    packages=[package for name, folder in PACKAGE_DIRS.items() for package in packages(name, folder)],
)
