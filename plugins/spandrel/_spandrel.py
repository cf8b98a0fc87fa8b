"""The one place this plugin imports spandrel, with the install hint when it is missing."""

from __future__ import annotations

from types import ModuleType

from srzoo import SrzooError

INSTALL_HINT = 'pip install "srzoo[spandrel]"'


def require_spandrel(what: str) -> ModuleType:
    """``import spandrel``, or a one-line [`SrzooError`][srzoo.SrzooError] saying what to install.

    Args:
        what: what needs it, e.g. ``"reading model.pth"``, for the message.
    """
    try:
        import spandrel
    except ImportError:
        raise SrzooError(f"{what} needs spandrel, which is not installed: {INSTALL_HINT}") from None
    return spandrel
