"""Built-in plugin ``recipes``: registers every ``*.toml`` recipe shipped in this folder.

The recipe's registered name is the file's stem, which must equal the ``name`` inside the file.
"""

from __future__ import annotations

from importlib.resources import files

import srzoo


@srzoo.hookimpl
def srzoo_register_recipes(register: srzoo.hookspecs.Register) -> None:
    folder = files(__name__)
    for item in sorted(folder.iterdir(), key=lambda p: p.name):
        if item.name.endswith(".toml"):
            register(item.name.removesuffix(".toml"), str(item))
