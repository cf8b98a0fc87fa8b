"""Run a command as a child process and measure it: wall seconds and peak resident memory.

Shared by the benchmarks that time ``srzoo`` commands end to end (`upscale_tiles.py`,
`upscale_and_bench.py`); POSIX only (``os.wait4``).
"""

from __future__ import annotations

import os
import subprocess
import time


def measured_run(argv: list[str]) -> tuple[float, float]:
    """Run ``argv`` to its end; its wall seconds and peak RSS in MiB.

    Raises:
        SystemExit: the command failed (its stderr in the message).
    """
    start = time.perf_counter()
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        error = process.stderr.read().decode() if process.stderr else ""
        raise SystemExit(f"{' '.join(argv)} failed: {error}")
    return seconds, usage.ru_maxrss / 1024
