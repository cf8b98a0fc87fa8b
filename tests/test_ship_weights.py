"""benchmarks/ship_weights.py on a tiny `srzoo train` run: the float16 file, size limits, the
rebuilt command, the shipping rule, the model card and the all-or-nothing write."""

from __future__ import annotations

import dataclasses
import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from safetensors import safe_open
from safetensors.torch import load_file

import srzoo
from srzoo.model.weights import trained_for
from srzoo.train import Trainer, TrainOptions
from srzoo.weights import sha256_of

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import ship_weights as sw

pytestmark = pytest.mark.usefixtures("one_thread")

OVERRIDES = {
    "train.optimizer.name": "adam",
    "train.optimizer.lr": 0.0005,
    "train.optimizer.momentum": 0,
    "train.optimizer.betas": [0.9, 0.99],
    "train.schedule.gamma": 0.1,  # the recipe's own value: no departure
}


def _facades(folder: Path, count: int, seed: int) -> None:
    """pix2pix-layout files (smooth photo | label map, 512x256 JPEG)."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True)
    for index in range(1, count + 1):
        coarse = rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)
        photo = np.asarray(Image.fromarray(coarse).resize((256, 256), Image.BICUBIC))
        label = np.asarray(Image.fromarray(coarse // 64 * 64).resize((256, 256), Image.NEAREST))
        Image.fromarray(np.concatenate([photo, label], axis=1)).save(folder / f"{index}.jpg", quality=95)


@pytest.fixture(scope="module")
def facades(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("facades")
    _facades(root / "train", 2, seed=0)
    _facades(root / "test", 2, seed=1)
    return root


@pytest.fixture(scope="module")
def run(facades: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished 3-step `srzoo train` run of srcnn-x4 with options off their defaults."""
    out = tmp_path_factory.mktemp("runs") / "srcnn-x4"
    options = TrainOptions(
        data=facades / "train",
        out=out,
        epochs=3,
        batch_size=2,
        patch_size=32,
        log_every=1,
        val=str(facades / "test"),
        val_every=2,
        val_images=1,
        checkpoint_every=2,
        keep=1,
        seed=3,
        channels_last=True,
        overrides=OVERRIDES,
        progress=False,
    )
    Trainer("srcnn-x4", options).fit()
    return out


def _repo(tmp_path: Path) -> sw.Destination:
    """A destination holding srcnn-x4's recipe file and one shipped file, like the repository."""
    root = tmp_path / "repo"
    (root / "recipes" / "weights").mkdir(parents=True)
    (root / "docs").mkdir()
    shutil.copy(sw.ROOT / "recipes" / "srcnn-x4.toml", root / "recipes")
    (root / "recipes" / "weights" / "other.md").write_text("# Model card: other\n\nAn older card.\n")
    return sw.Destination(root)


# ------------------------------------------------------------------ the run folder


def test_read_run_takes_final_or_best_weights_and_their_step(run: Path) -> None:
    final = sw.read_run(run, "final")
    assert (final.name, final.weights.name, final.step, final.epochs) == (
        "srcnn-x4",
        "model.safetensors",
        3,
        3,
    )
    best = sw.read_run(run, "best")
    assert best.weights.name == "best.safetensors"
    assert best.step == json.loads((run / "best.json").read_text())["step"] in (2, 3)


def test_an_unfinished_run_has_no_final_weights(run: Path, tmp_path: Path) -> None:
    copy = tmp_path / "run"
    shutil.copytree(run, copy)
    info = json.loads((copy / "run.json").read_text())
    (copy / "run.json").write_text(json.dumps({**info, "finished": False, "step": 2}))
    with pytest.raises(sw.BadInput, match=r"not finished \(step 2 of 3\).*--use best"):
        sw.read_run(copy, "final")
    with pytest.raises(sw.BadInput, match="no run.json"):
        sw.read_run(tmp_path, "final")


def test_wall_time_sums_the_logged_step_times_or_takes_the_recorded_one(run: Path) -> None:
    final = sw.read_run(run, "final")
    rows = sw.metrics_rows(run)
    assert [r["step"] for r in rows] == [1, 2, 3]
    assert sw.wall_time(final) == (final.info["wall_seconds"], False)  # srzoo train records it
    final = sw.Run(
        run, {k: v for k, v in final.info.items() if k != "wall_seconds"}, final.weights, "final", 3
    )
    seconds, estimated = sw.wall_time(final)
    assert estimated and seconds == pytest.approx(sum(r["step_time"] for r in rows))
    best = sw.Run(run, final.info, run / "best.safetensors", "best", 2)  # the steps up to the shipped one
    assert sw.wall_time(best) == (pytest.approx(rows[0]["step_time"] + rows[1]["step_time"]), True)
    recorded = sw.Run(final.folder, {**final.info, "wall_seconds": 1234.5}, final.weights, "final", 3)
    assert sw.wall_time(recorded) == (1234.5, False)


def test_step_times_stand_for_their_logging_interval(tmp_path: Path) -> None:
    rows = [{"step": 10, "step_time": 0.5}, {"step": 20, "step_time": 1.0}, {"step": 20, "step_time": 2.0}]
    (tmp_path / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    fake = sw.Run(tmp_path, {"recipe": "srcnn-x4", "steps_per_epoch": 10}, tmp_path, "best", 20)
    assert sw.wall_time(fake) == (pytest.approx(10 * 0.5 + 10 * 2.0), True)  # a replayed step counts once


def test_cpu_is_the_recorded_one_else_this_machines_marked(run: Path) -> None:
    final = sw.read_run(run, "final")
    assert sw.cpu_of(final) == (final.info["hardware"]["cpu"], False)  # srzoo train records it
    info = {k: v for k, v in final.info.items() if k != "hardware"}  # a run from before it did
    cpu, here = sw.cpu_of(sw.Run(final.folder, info, final.weights, "final", 3))
    assert here and cpu == sw.this_cpu() and "logical cores" in cpu
    recorded = sw.Run(final.folder, {**info, "hardware": {"cpu": "Xeon 8480"}}, final.weights, "final", 3)
    assert sw.cpu_of(recorded) == ("Xeon 8480", False)


# ------------------------------------------------------------------ the command


class _Captured(Exception):
    pass


def _options_the_cli_builds(argv: list[str], monkeypatch: pytest.MonkeyPatch) -> dict:
    """Run `srzoo train ARGV` up to the Trainer and return its options as run.json records them."""
    import srzoo.train
    from srzoo.cli import main

    seen = {}

    def trainer(recipe: str, options: TrainOptions) -> None:
        seen["options"] = options
        raise _Captured

    monkeypatch.setattr(srzoo.train, "Trainer", trainer)
    with pytest.raises(_Captured):
        main(["--debug", *argv])
    options = dataclasses.asdict(seen["options"])
    return json.loads(json.dumps(options, default=str))  # as run.json stores them


def test_reconstructed_command_gives_the_runs_options_back(
    run: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    info = json.loads((run / "run.json").read_text())
    command = sw.reconstruct_command(info["recipe"], info["options"])
    assert command[:3] == ["srzoo", "train", "srcnn-x4"] and "--resume" not in command
    assert "--set" in command and "train.optimizer.name=adam" in command
    assert "train.optimizer.betas=[0.9, 0.99]" in command and "--channels-last" in command
    rebuilt = _options_the_cli_builds(command[1:], monkeypatch)
    assert rebuilt == {**info["options"], "overrides": rebuilt["overrides"]}
    assert rebuilt["overrides"] == info["options"]["overrides"] == OVERRIDES


def test_reconstruction_covers_every_flag(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    options = {
        **json.loads(
            json.dumps(dataclasses.asdict(TrainOptions(data=tmp_path / "d", out=tmp_path / "o")), default=str)
        ),
        "epochs": 40,
        "max_steps": 7,
        "val": "",
        "init_from": str(tmp_path / "w.safetensors"),
        "device": "cpu",
        "precision": "bf16",
        "compile": True,
        "compile_mode": "reduce-overhead",
        "workers": 1,
        "sync_batchnorm": True,
        "overrides": {"sr.ngf": 8, "train.schedule.name": "linear-decay", "input_multiple": None},
        "progress": False,
        "resume": True,
        "log_seconds": 5.0,
        "loggers": ["tensorboard"],
    }
    command = sw.reconstruct_command("stagegan-x8-small", options)
    rebuilt = _options_the_cli_builds(command[1:], monkeypatch)
    assert rebuilt == {**options, "resume": False}


def test_the_recorded_srzoo_train_command_wins_and_drops_resume(run: Path) -> None:
    info = json.loads((run / "run.json").read_text())
    [api_call] = info["commands"]  # this run came from the Python API: pytest's argv, not a command
    assert sw.train_command(info) == sw.reconstruct_command("srcnn-x4", info["options"])
    commands = [
        ["/venv/bin/srzoo", "train", "srcnn-x4", "--bf16"],
        ["srzoo", "train", "srcnn-x4", "--resume"],
    ]
    assert sw.train_command({**info, "commands": commands}) == ["srzoo", "train", "srcnn-x4", "--bf16"]
    resumed = [["/usr/bin/python3", "-m", "srzoo", "train", "srcnn-x4", "--bf16", "--resume"]]
    assert sw.train_command({**info, "commands": resumed}) == ["srzoo", "train", "srcnn-x4", "--bf16"]
    assert "pytest" in " ".join(api_call)


def test_options_without_a_flag_are_refused() -> None:
    with pytest.raises(sw.BadInput, match="best_metric='ssim' has no `srzoo train` flag"):
        sw.reconstruct_command("srcnn-x4", {"data": "d", "out": "o", "best_metric": "ssim"})


# ------------------------------------------------------------------ weights and sizes


def test_fp16_file_keeps_keys_and_carries_the_runs_facts(run: Path, tmp_path: Path) -> None:
    final = sw.read_run(run, "final")
    target = tmp_path / "srcnn-x4.safetensors"
    size = sw.write_fp16(final.weights, target, sw.weights_facts(final))
    assert size == target.stat().st_size
    with safe_open(str(target), "pt") as handle:
        metadata = handle.metadata()
    assert {tensor.dtype for tensor in load_file(target).values()} == {torch.float16}
    assert trained_for(target) == "srcnn-x4"  # what the "trained for another recipe" warning reads
    assert metadata["step"] == "3" and metadata["dtype"] == "float16" and metadata["weights"] == "final"
    assert metadata["command"].startswith("srzoo train srcnn-x4 --data ")
    fp32, fp16 = srzoo.build("srcnn-x4", weights=final.weights), srzoo.build("srcnn-x4", weights=target)
    lr = torch.rand(1, 3, 16, 16, generator=torch.Generator().manual_seed(0))
    with torch.inference_mode():
        assert (fp32(lr) - fp16(lr)).abs().max() < 2e-3
    with pytest.warns(UserWarning, match="trained for srcnn-x4"):
        srzoo.bench(["srcnn-x8"], ["charts:32"], weights={"srcnn-x8": target}, metrics=["psnr"], limit=1)


def test_a_file_over_the_limit_is_refused_and_removed(run: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(sw, "MAX_FILE_BYTES", 1000)
    target = tmp_path / "x.safetensors"
    with pytest.raises(sw.Refused, match=r"MiB even as float16, over the 0 MiB a shipped file may have"):
        sw.write_fp16(sw.read_run(run).weights, target, {"recipe": "srcnn-x4"})
    assert not target.exists()


def test_shipped_files_together_stay_under_the_total(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "old.safetensors").write_bytes(b"x" * 600)
    (tmp_path / "same.safetensors").write_bytes(b"x" * 5000)  # replaced: not counted
    monkeypatch.setattr(sw, "MAX_TOTAL_BYTES", 1000)
    assert sw.check_total({"same": 400}, tmp_path) == 1000
    with pytest.raises(sw.Refused, match=r"would total 0.0 MiB, over 0 MiB \(new with those already in"):
        sw.check_total({"new": 401}, tmp_path)


# ------------------------------------------------------------------ the rule


def test_shipping_rule_fidelity_and_adversarial() -> None:
    assert sw.rule_for(srzoo.get_recipe("lapsrn-x4")) is sw.RULES["fidelity"]
    assert sw.rule_for(srzoo.get_recipe("stagegan-x8-small")) is sw.RULES["adversarial"]
    bicubic = sw.Scores(24.0, 0.6, 0.97, 106)
    fidelity, adversarial = sw.RULES["fidelity"], sw.RULES["adversarial"]
    assert sw.refusal(fidelity, sw.Scores(24.01, 0.5, 0.90, 106), bicubic) is None
    assert "does not beat bicubic" in sw.refusal(fidelity, sw.Scores(24.0, 0.7, 0.99, 106), bicubic)
    assert sw.refusal(adversarial, sw.Scores(23.0, 0.5, 0.971, 106), bicubic) is None  # 1.0 dB below: ships
    assert "more than 1 dB below" in sw.refusal(adversarial, sw.Scores(22.99, 0.5, 0.99, 106), bicubic)
    assert "GSM 0.9700 is not above" in sw.refusal(adversarial, sw.Scores(25.0, 0.7, 0.97, 106), bicubic)


# ------------------------------------------------------------------ card and shipping


def _shipment(run: Path, scale_psnr: float = 25.0) -> sw.Shipment:
    return sw.Shipment(
        sw.read_run(run, "final"),
        sw.Scores(scale_psnr, 0.7012, 0.9801, 2),
        sw.Scores(24.278, 0.6433, 0.9765, 2),
        (2, 24.9, 0.0012),
        123456,
        "ab" * 32,
        note="Facades instead of 291 natural images",
    )


def test_card_states_data_command_steps_time_cpu_departures_scores_and_sha(run: Path) -> None:
    text = sw.card(_shipment(run))
    info = json.loads((run / "run.json").read_text())
    command = " ".join(sw.reconstruct_command("srcnn-x4", info["options"]))
    assert f"  {command}\n" in text.replace("'", "")  # shlex quotes only the list value
    assert "Facades `train/`" in text and "at batch 2, HR patches 32²" in text
    assert "step 3 (3 epochs of 1 steps) of 3 planned" in text
    hardware = info["hardware"]  # srzoo train records the time and the machine
    assert f"- **Wall time:** {sw._duration(info['wall_seconds'])}.\n" in text
    threads = f"{hardware['threads']} thread{'' if hardware['threads'] == 1 else 's'}"
    assert f"- **CPU:** {hardware['cpu']}, {threads}.\n" in text
    assert "`train.optimizer.name` adam (recipe: sgd)" in text and "`epochs` 3 (recipe: " in text
    assert "train.schedule.gamma" not in text.split("- **Departures")[1]
    assert "Facades instead of 291 natural images." in text
    assert "  | bicubic-x4 | 24.278 | 0.6433 | 0.9765 |\n  | srcnn-x4 | 25.000 | 0.7012 | 0.9801 |" in text
    assert "  | LapSRN authors' weights ×4 (reference) | 25.88 | 0.728 | — |" in text
    assert "(+0.722 dB over bicubic; the LapSRN authors' weights: +1.60 dB (their released weights" in text
    assert "Shipping rule (fidelity): PSNR-Y above bicubic's." in text
    assert "0.12 MiB, float16 (on the first 2 test images its mean PSNR-Y is +0.00120 dB" in text
    assert f"sha256 `{'ab' * 32}`" in text


def test_ship_writes_file_card_recipe_entry_and_docs_page(
    run: Path, facades: Path, tmp_path, monkeypatch
) -> None:
    destination = _repo(tmp_path)
    bench_file = sw.bench_file

    def scored(name: str, weights: Path, data: Path) -> tuple[sw.Scores, sw.Scores, list[float]]:
        per_image = bench_file(name, weights, data)[2]  # a 3-step model cannot beat bicubic: scores given
        return _shipment(run).bicubic, _shipment(run).model, per_image

    monkeypatch.setattr(sw, "bench_file", scored)
    [item] = sw.ship([sw.read_run(run)], facades, destination, {"srcnn-x4": "a note"})
    shipped = destination.weights / "srcnn-x4.safetensors"
    assert item.sha256 == sha256_of(shipped) and item.size == shipped.stat().st_size
    assert abs(item.fp16_check[2]) <= sw.FP16_TOLERANCE_DB and item.fp16_check[0] == 2
    recipe = srzoo.get_recipe(destination.recipes / "srcnn-x4.toml")
    assert recipe.pretrained is not None and recipe.pretrained.sha256 == item.sha256
    assert recipe.pretrained.file == "srzoo_recipes:weights/srcnn-x4.safetensors"
    card = (destination.weights / "srcnn-x4.md").read_text()
    assert card.startswith("# Model card: srcnn-x4\n\n") and item.sha256 in card and "a note." in card
    page = destination.docs_page.read_text()
    assert page.index("## other\n") < page.index("## srcnn-x4\n") and item.sha256 in page


def test_a_refused_run_writes_nothing(run: Path, facades: Path, tmp_path: Path, capsys) -> None:
    destination = _repo(tmp_path)
    before = (destination.recipes / "srcnn-x4.toml").read_text()
    argv = ["--run", str(run), "--data", str(facades), "--root", str(destination.root)]
    assert sw.main(argv) == 1  # 3 steps of SRCNN do not beat bicubic
    err = capsys.readouterr().err
    assert err.startswith("refused: srcnn-x4: PSNR-Y ") and "does not beat bicubic; not shipped" in err
    assert err.count("\n") == 1
    assert sorted(p.name for p in destination.weights.iterdir()) == ["other.md"]
    assert (destination.recipes / "srcnn-x4.toml").read_text() == before
    assert not destination.docs_page.exists()


def test_bad_input_is_one_line_and_exit_2(run: Path, facades: Path, tmp_path: Path, capsys) -> None:
    assert sw.main(["--run", str(tmp_path), "--data", str(facades)]) == 2
    assert (
        capsys.readouterr().err
        == f"error: {tmp_path}: no run.json; expected a run folder of `srzoo train` (its --out)\n"
    )
    assert sw.main(["--run", str(run), "--data", str(tmp_path)]) == 2
    assert "no test/ folder" in capsys.readouterr().err
    assert sw.main(["--run", str(run), "--run", str(run), "--data", str(facades)]) == 2
    assert "two runs of one recipe" in capsys.readouterr().err
    assert sw.main(["--run", str(run), "--data", str(facades), "--note", "lapsrn-x4=x"]) == 2
    assert "no --run of recipe 'lapsrn-x4'" in capsys.readouterr().err
