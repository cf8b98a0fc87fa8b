"""benchmarks/gpu_reproduce.sh, checked on the CPU: its data lookup, its hard time limit and (slow) a smoke run."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "gpu_reproduce.sh"


def _run(out: Path, minutes: str, timeout: float, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PYTHON": sys.executable, "REPRO_SMOKE": "1", **env}
    return subprocess.run(
        ["bash", str(SCRIPT), str(out), minutes],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=environment,
    )


@pytest.fixture
def tiny_facades(data_dir: Path, tmp_path: Path) -> Path:
    root = tmp_path / "facades"
    for split, count in (("train", 4), ("test", 2)):
        (root / split).mkdir(parents=True)
        for index in range(1, count + 1):
            shutil.copyfile(data_dir / "facades" / split / f"{index}.jpg", root / split / f"{index}.jpg")
    return root


def test_without_data_it_stops_at_once_with_a_one_line_error(tmp_path: Path) -> None:
    done = _run(tmp_path / "out", "1", 60, FACADES=str(tmp_path / "nowhere"))
    assert done.returncode == 2
    expected = "no Facades data: set FACADES to a folder holding train/ and test/ (or SRZOO_SHARED)"
    assert done.stdout.strip() == expected
    assert (tmp_path / "out" / "log.txt").read_text().strip() == expected


@pytest.mark.shared_data
def test_the_hard_time_limit_stops_it(tiny_facades: Path, tmp_path: Path) -> None:
    start = time.perf_counter()
    done = _run(tmp_path / "out", "0.2", 120, FACADES=str(tiny_facades))  # 12 s in all
    seconds = time.perf_counter() - start
    assert done.returncode in (124, 137), done.stdout[-2000:]
    assert seconds < 12 + 10 + 15  # the limit, the kill grace and the shell's own start
    log = (tmp_path / "out" / "log.txt").read_text()
    assert "0.2 min in all, 0.2 min of training; hard stop in" in log
    assert "stopped at the 0.2-minute limit" in log


@pytest.mark.slow
@pytest.mark.shared_data
def test_smoke_run_brings_back_eight_files_with_the_claims_models(tiny_facades: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = _run(out, "5", 330, FACADES=str(tiny_facades), RESERVE_MINUTES="2")
    assert done.returncode == 0, done.stdout[-3000:]
    files = sorted(p.name for p in out.iterdir())
    assert len(files) == 8 and "log.txt" in files and "table.json" in files, files
    assert all((out / name).stat().st_size < 16 * 2**20 for name in files)
    document = json.loads((out / "table.json").read_text())
    trained = {row["method"] for row in document["table"] if row["schedule"]}
    assert trained == {
        "srcnn-x8",
        "lapsrn-x8",
        "srresnet-x4",
        "srgan-x4-mse",
        *(f"stagegan-x{s}{v}{st}" for s in (4, 8) for v in ("", "-nosem") for st in ("", " (Stage-1)")),
    }
    assert {row["method"]: row["status"] for row in document["missing"]} == {
        "srcnn-x4": "not selected (--models)",
        "lapsrn-x4": "not selected (--models)",
    }
    assert len(document["verdicts"]) == 6 and document["budget_minutes"] == 3.0
