"""benchmarks/reproduce_paper.py --smoke on a tiny Facades subset: its files, table and schedule."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import srzoo

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "reproduce_paper.py"
METHODS = {
    "bicubic-x4",
    "bicubic-x8",
    "stagegan-x4",
    "stagegan-x4 (Stage-1)",
    "stagegan-x4-nosem",
    "stagegan-x4-nosem (Stage-1)",
    "stagegan-x8",
    "stagegan-x8 (Stage-1)",
    "stagegan-x8-nosem",
    "stagegan-x8-nosem (Stage-1)",
    "srcnn-x4",
    "srcnn-x8",
    "lapsrn-x4",
    "lapsrn-x8",
    "srresnet-x4",
    "srgan-x4-mse",
}


@pytest.fixture(scope="module")
def smoke_run(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, float]:
    """Run the script with ``--smoke`` on 4 train and 2 test Facades images; return (data, out, seconds)."""
    import time

    root = tmp_path_factory.mktemp("facades")
    for split, count in (("train", 4), ("test", 2)):
        (root / split).mkdir()
        for index in range(1, count + 1):
            shutil.copyfile(data_dir / "facades" / split / f"{index}.jpg", root / split / f"{index}.jpg")
    out = tmp_path_factory.mktemp("repro")
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--data", str(root), "--out", str(out), "--smoke", "--device", "cpu"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return root, out, time.perf_counter() - start


@pytest.mark.slow
@pytest.mark.shared_data
def test_smoke_writes_at_most_eight_files(smoke_run: tuple[Path, Path, float]) -> None:
    _, out, seconds = smoke_run
    files = sorted(p.name for p in out.iterdir())
    assert len(files) <= 8, files
    assert {"table.json", "table.md", "stages.png", "loss_curves.png"} <= set(files)
    assert any(name.startswith("comparison-") and name.endswith("-x4.png") for name in files)
    assert any(name.startswith("comparison-") and name.endswith("-x8.png") for name in files)
    assert seconds < 300


@pytest.mark.slow
@pytest.mark.shared_data
def test_smoke_table_has_every_method_with_finite_scores(smoke_run: tuple[Path, Path, float]) -> None:
    _, out, _ = smoke_run
    document = json.loads((out / "table.json").read_text())
    rows = {row["method"]: row for row in document["table"]}
    assert set(rows) == METHODS
    for row in rows.values():
        for metric in ("psnr", "ssim", "gsm"):
            assert math.isfinite(row[metric]), (row["method"], metric)
        assert row["scale"] == (8 if "x8" in row["method"] else 4)
    assert document["smoke"] is True
    assert "SRGAN-MSE" in rows["srgan-x4-mse"]["note"]


@pytest.mark.slow
@pytest.mark.shared_data
def test_smoke_schedule_is_recorded_and_reduced(smoke_run: tuple[Path, Path, float]) -> None:
    _, out, _ = smoke_run
    document = json.loads((out / "table.json").read_text())
    for row in document["table"]:
        if row["method"].startswith("bicubic"):
            assert row["schedule"] is None and row["reduced"] is False
            continue
        schedule = row["schedule"]
        assert schedule["steps"] == 3 and schedule["batch_size"] == 2
        assert schedule["reference_steps"] == 200 * 2  # 200 epochs of 4 images at batch 2
        assert schedule["device"] == "cpu" and schedule["wall_seconds"] > 0
        assert schedule["measured_step_seconds"] > 0
        assert row["reduced"] is True and schedule["reduced"] is True
    markdown = (out / "table.md").read_text()
    assert "stagegan-x8 (reduced)" in markdown and "not results" in markdown
    verdicts = [v["verdict"] for v in document["verdicts"]]
    assert verdicts == ["inconclusive"] * 4  # 3 steps are far below 10% of the paper's schedule


@pytest.mark.slow
@pytest.mark.shared_data
def test_smoke_bicubic_rows_equal_a_separate_bench(smoke_run: tuple[Path, Path, float]) -> None:
    root, out, _ = smoke_run
    document = json.loads((out / "table.json").read_text())
    rows = {row["method"]: row for row in document["table"]}
    for result in srzoo.bench(["bicubic-x4", "bicubic-x8"], [f"{root}:test"]):
        assert result.images == 2
        for metric in ("psnr", "ssim", "gsm"):
            assert rows[result.method][metric] == result.scores[metric]
