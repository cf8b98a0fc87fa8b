"""The registry: one table of registered components per kind, filled by plugins.

The tables are filled lazily: the first lookup loads every plugin of the ``srzoo`` entry-point group
once (`srzoo.registry.loader`). Factories registered as ``"module:attribute"`` strings are imported
only when the component is first built.

The package holds the table (`table`), the typed metadata a component declares
(`component_info`, public as [`srzoo.component_info`][srzoo.component_info]), the plugin loader
(`loader`) and the commands plugins add to the command line (`commands`).
"""

from __future__ import annotations

from .table import KINDS, Entry, Registry

__all__ = ["KINDS", "Entry", "Registry"]
