"""Rich consoles and progress bars shared by the CLI commands."""

from __future__ import annotations

import sys

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

console = Console()
"""Standard output (results, tables)."""

err_console = Console(stderr=True)
"""Standard error (progress, warnings, errors)."""


def progress(transient: bool = True) -> Progress:
    """A progress bar on stderr for long work; silent when stderr is not a terminal."""
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=transient,
        disable=not sys.stderr.isatty(),
    )
