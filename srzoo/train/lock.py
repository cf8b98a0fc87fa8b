"""One trainer per run folder: an advisory ``fcntl.flock`` on ``RUN/.lock``, held for the run.

The kernel drops the lock when its holder exits, however it exits, so a lock file left by a dead
process never blocks; the file only tells a second trainer whose lock it met (the holder's pid).
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import InputError

__all__ = ["RunLock"]

LOCK_NAME = ".lock"


class RunLock:
    """The lock of one run folder (created if needed).

    Args:
        run_dir: the run folder.

    Raises:
        InputError: another process holds the lock (naming its pid), or the folder cannot be made.
    """

    def __init__(self, run_dir: Path) -> None:
        self.path = Path(run_dir) / LOCK_NAME
        self._fd: int | None = None
        self._created = [p for p in (self.path.parent, *self.path.parent.parents) if not p.exists()]
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
        except OSError as exc:
            raise InputError(f"{run_dir}: cannot create the run folder ({exc.strerror or exc})") from None
        if not _try_lock(fd):
            holder = _read_pid(fd)
            os.close(fd)
            who = f"pid {holder}" if holder else "another process"
            raise InputError(
                f"{run_dir}: in use by another srzoo train ({who}); wait for it to end or choose another --out"
            )
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd

    @property
    def held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        """Let go of the lock (idempotent); the file stays, stale and harmless."""
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor drops the flock
            self._fd = None

    def abandon(self) -> None:
        """Release after a failed set-up: remove the lock file, and the folders made for it if empty."""
        if self._fd is not None and self._created:
            self.path.unlink(missing_ok=True)
            for folder in self._created:  # deepest first
                try:
                    folder.rmdir()
                except OSError:
                    break
        self.release()

    def __del__(self) -> None:
        self.release()


def _try_lock(fd: int) -> bool:
    try:
        import fcntl  # POSIX only; elsewhere runs are not locked
    except ImportError:  # pragma: no cover - Windows
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _read_pid(fd: int) -> int | None:
    try:
        text = os.pread(fd, 32, 0).decode().strip()
    except (OSError, UnicodeDecodeError):
        return None
    return int(text) if text.isdigit() else None
