"""The consoles srzoo's commands print to, for plugin commands (see [`srzoo.cli.commands`][srzoo.cli.commands]).

``console`` is standard output (results, tables); ``err_console`` is standard error (progress,
warnings, errors); ``progress()`` is a rich progress bar on stderr that stays silent when stderr is
not a terminal. Text from files or users should be passed through ``rich.markup.escape``.
"""

from __future__ import annotations

from ._console import console, err_console, progress

__all__ = ["console", "err_console", "progress"]
