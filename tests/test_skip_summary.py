"""The test run says which data tests it skipped, why, and how to give them the data."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_the_summary_counts_the_skipped_data_tests_and_says_how_to_run_them(tmp_path: Path):
    absent = tmp_path / "no-shared"
    result = subprocess.run(
        [
            sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
            "tests/test_convert.py::test_convert_the_authors_x8_file",
            "tests/test_convert.py::test_convert_help",
        ],
        cwd=REPO, env={**os.environ, "SRZOO_SHARED": str(absent)}, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if "skipped data and GPU tests" in line)
    how = "set SRZOO_SHARED=/path/to/shared (the folder holding data/ and weights/) or put it at ../shared"
    assert lines[start + 1 : start + 3] == [
        f"1 data test skipped; {how}:",
        f"     1 × needs the shared data at {absent}",
    ]
    assert "1 passed, 1 skipped" in lines[-1]
