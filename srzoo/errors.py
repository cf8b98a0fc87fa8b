"""Exceptions raised by srzoo.

Every error srzoo raises on bad input derives from [`SrzooError`][], so that the CLI can print it
as one line and exit non-zero, and so that callers can catch srzoo's errors without catching bugs.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = [
    "DuplicateNameError",
    "InputError",
    "RecipeError",
    "SrzooError",
    "UnknownNameError",
    "WeightsError",
]


class SrzooError(Exception):
    """Base class of srzoo's errors: the message is one line that says what to do."""


class UnknownNameError(SrzooError, KeyError):
    """A component or recipe name that no plugin registered.

    The message lists the closest registered names (or all of them when there are few).
    """

    def __init__(self, kind: str, name: str, known: Iterable[str]) -> None:
        self.kind = kind
        self.name = name
        self.known = sorted(known)
        named = isinstance(name, str)
        close = difflib.get_close_matches(name, self.known, n=5, cutoff=0.5) if named else []
        if close:
            hint = "did you mean " + ", ".join(repr(n) for n in close) + "?"
        elif self.known and len(self.known) <= 12:
            hint = "registered: " + ", ".join(self.known)
        elif self.known:
            command = f"srzoo list {kind}" if " " not in kind else "srzoo list"
            hint = f"run `{command}` to see the {len(self.known)} registered names"
        else:
            hint = "no plugin registers any; run `srzoo plugins` to check for broken plugins"
        problem = (
            f"unknown {kind} {name!r}"
            if named
            else f"{kind} names are strings, got {type(name).__name__} {name!r}"
        )
        super().__init__(f"{problem}; {hint}")

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0])


class DuplicateNameError(SrzooError):
    """Two plugins registered the same name for the same kind."""

    def __init__(self, kind: str, name: str, first: str, second: str) -> None:
        self.kind = kind
        self.name = name
        self.plugins = (first, second)
        super().__init__(
            f"{kind} {name!r} is registered twice: by plugin {first!r} and by plugin {second!r}; "
            "uninstall one of them or rename the component"
        )


class RecipeError(SrzooError):
    """A recipe file or object that does not validate: names the file, the key and what was expected."""

    def __init__(self, source: str, key: str, problem: str) -> None:
        self.source = source
        self.key = key
        self.problem = problem
        where = f"{source}: " if source else ""
        at = f"key {key!r}: " if key else ""
        super().__init__(f"{where}{at}{problem}")


class WeightsError(SrzooError):
    """A weights file that is missing, unreadable, untrusted or of the wrong architecture."""


class InputError(SrzooError, ValueError):
    """A tensor or image argument of the wrong shape, dtype, size or content."""
