"""Writing a file atomically: a temporary file next to the target, fsynced, then renamed over it."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO


def atomic_write(path: Path, write: Callable[[BinaryIO], object]) -> None:
    """Call ``write(handle)`` on a temporary file in ``path``'s folder, then rename it to ``path``.

    ``path`` is either left as it was or replaced by the complete new file; on any failure the
    temporary file is removed and the error propagates. ``os.open`` honours the umask (unlike
    ``tempfile``'s 0600), so the result has the permissions of a normally written file.
    """
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.partial")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
