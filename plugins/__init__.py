"""srzoo's built-in plugins (installed as ``srzoo_plugins``), registered through the ``srzoo``
entry-point group exactly like third-party plugins. Each subpackage is one plugin: its ``__init__``
holds only hook implementations with lazy ``"module:attribute"`` factories, so listing components
imports no model code."""
