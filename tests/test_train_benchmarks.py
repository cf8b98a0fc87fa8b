"""The training benchmarks run (tiny sizes): benchmarks/train_step.py and benchmarks/gpu_train.py --quick."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture
def benchmarks_on_path(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    yield
    for name in ("train_step", "gpu_train", "step_ratio"):
        sys.modules.pop(name, None)


@pytest.mark.slow
def test_train_step_benchmark_reports_a_ratio(benchmarks_on_path):
    import train_step

    (result,) = train_step.main(["--rounds", "1", "--width", "4", "--scale", "4", "--precision", "fp32"])
    assert result["engine_s"] > 0 and result["plain_s"] > 0 and result["ratio_plain_over_engine"] > 0


@pytest.mark.slow
def test_gpu_benchmark_runs_on_cpu_quick(benchmarks_on_path):
    import gpu_train

    rows = gpu_train.main(["--device", "cpu", "--quick", "--recipe", "stagegan-x4"])
    assert [r["case"] for r in rows] == [
        "plain-fp32-b1",
        "engine-fp32-b1",
        "engine-bf16-cl-b1",
        "engine-bf16-cl-b2",
    ]
    assert rows[3]["gflop_per_step"] == pytest.approx(2 * rows[0]["gflop_per_step"], rel=1e-6)
    assert all(r["tflop_per_s"] > 0 for r in rows)


@pytest.mark.slow
def test_train_step_profile_shares_add_up(benchmarks_on_path):
    import train_step

    (result,) = train_step.main(
        ["--profile", "--rounds", "1", "--width", "4", "--scale", "4", "--precision", "fp32"]
    )
    shares = {key: value for key, value in result.items() if key.startswith("share ")}
    assert list(shares) == [
        "share convolution backward",
        "share convolution forward",
        "share batch norm",
        "share optimizer",
        "share other",
    ]
    assert sum(shares.values()) == pytest.approx(1.0, abs=1e-3)
    assert shares["share convolution backward"] > 0 and shares["share optimizer"] > 0


@pytest.mark.slow
def test_step_ratio_compares_recipes_and_variants(benchmarks_on_path):
    import step_ratio

    assert step_ratio._variant("stagegan-x4-small:sem.ngf=8,sr.upsample=deconv") == (
        "stagegan-x4-small:sem.ngf=8,sr.upsample=deconv",
        "stagegan-x4-small",
        {"sem.ngf": 8, "sr.upsample": "deconv"},
    )
    result = step_ratio.main(
        ["stagegan-x4-small", "--variant", "stagegan-x4-small:sem.ngf=4,s2.ngf=4,sr.ngf=4", "--rounds", "1"]
    )
    first, narrow = result.values()
    assert first["first_over_this"] == 1.0 and narrow["step_s"] > 0
