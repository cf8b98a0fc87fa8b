"""Writing a file atomically: a temporary file next to the target, fsynced, then renamed over it.

The one way srzoo writes a file whole or not at all: images, weights, PNG bands, bench reports and
run files all go through `atomic_file` (``tempfile`` is not used: it creates files mode 0600).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO


@contextmanager
def atomic_file(path: Path) -> Iterator[BinaryIO]:
    """A binary handle on a temporary file in ``path``'s folder, renamed to ``path`` when the block ends.

    ``path`` is either left as it was or replaced by the complete new file; if the block raises,
    the temporary file is removed and the error propagates. ``os.open`` honours the umask (unlike
    ``tempfile``'s 0600), so the result has the permissions of a normally written file.
    """
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.partial")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def atomic_write(path: Path, write: Callable[[BinaryIO], object]) -> None:
    """Call ``write(handle)`` inside `atomic_file` ``(path)``."""
    with atomic_file(path) as handle:
        write(handle)
