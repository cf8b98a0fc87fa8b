"""The training engine: Stage-GAN and baselines, run directory, checkpoints, exact resume, health."""

from __future__ import annotations

import errno
import json
import os
import signal
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

import srzoo
from srzoo.cli import main
from srzoo.train import Trainer, TrainingDiverged, TrainOptions
from srzoo.train import checkpoint as ckpt


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """One intra-op thread: on a busy 2-core box, two threads are many times slower for these tiny nets."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


TINY_STAGEGAN = {
    "sem.ngf": 4,
    "s2.ngf": 4,
    "sr.ngf": 4,
    "sr.n_blocks": 1,
    "sem.num_downs": 4,
    "s2.num_downs": 4,
    "input_multiple": 4,
    "d0.ndf": 4,
    "d1.ndf": 4,
    "d2.ndf": 4,
}
"""Stage-GAN at widths 4, U-Nets of 4 levels: 16-pixel MR multiples, i.e. 4-pixel LR multiples at x4."""


def _facades(folder: Path, count: int, seed: int = 0) -> Path:
    """Synthetic pix2pix-layout files: a smooth photo | a blocky label map, 512x256 JPEG."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(1, count + 1):
        coarse = rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)
        photo = np.asarray(Image.fromarray(coarse).resize((256, 256), Image.BICUBIC))
        label = np.asarray(Image.fromarray(coarse // 64 * 64).resize((256, 256), Image.NEAREST))
        Image.fromarray(np.concatenate([photo, label], axis=1)).save(folder / f"{index}.jpg", quality=95)
    return folder


@pytest.fixture(scope="module")
def facades(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("facades")
    _facades(root / "train", 4)
    _facades(root / "test", 2, seed=1)
    return root


def _stagegan(facades: Path, out: Path, **kw) -> Trainer:
    options = {"max_steps": 4, "log_every": 1, "patch_size": 32, "val_images": 1, "progress": False}
    options.update(kw)
    options["overrides"] = {**TINY_STAGEGAN, **options.get("overrides", {})}
    return Trainer("stagegan-x4", data=facades / "train", out=out, **options)


def _rows(run: Path) -> list[dict]:
    return [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]


# ------------------------------------------------------------------ Stage-GAN, run directory


def test_stagegan_run_directory(facades, tmp_path):
    result = _stagegan(facades, tmp_path / "run").fit()
    run = tmp_path / "run"
    assert result.step == 4 and not result.interrupted
    rows = _rows(run)
    assert [r["step"] for r in rows] == [1, 2, 3, 4]
    for key in ("sem.gan", "sem.l1", "s2.gan", "s2.l1", "sr.gan", "sr.l1", "d0", "d1", "d2"):
        assert all(np.isfinite(r[key]) for r in rows), key
    for key in (
        "epoch",
        "lr/sem",
        "lr/d0",
        "grad_norm/sr",
        "grad_norm/d1",
        "d_real/d0",
        "d_fake/d2",
        "step_time",
    ):
        assert key in rows[0], key
    assert 0.0 < rows[0]["d_real/d0"] < 1.0  # a probability: BCE critics
    validation = [json.loads(line) for line in (run / "validation.jsonl").read_text().splitlines()]
    assert validation[-1]["step"] == 4 and {"psnr", "ssim", "gsm"} <= validation[-1].keys()
    grid = Image.open(next((run / "samples").glob("*.png")))
    # LR | mr | sem | s2 | sr | HR on 256-pixel tiles with 2-pixel gaps, one row per held-out image
    assert grid.size == (6 * 256 + 5 * 2, 256)
    assert Image.open(run / "loss_curves.png").size[0] > 100
    # the exported weights and the resolved recipe rebuild the trained model
    model = srzoo.build(run / "recipe.toml", weights=run / "model.safetensors")
    lr = torch.rand(1, 3, 16, 16)
    again = srzoo.build(run / "recipe.toml", weights=result.checkpoint / "model.safetensors")
    assert torch.equal(model(lr), again(lr))


def _assert_l1_losses_fall(trainer) -> None:
    """15 steps of the first phase on one repeated batch cut every stage's L1 loss by 20% or more."""
    batch = trainer.batches(next(iter(trainer.loader)))
    phase = trainer.phases[0]
    trainer._set_phase_modes(phase)
    first = trainer.train_step(batch, phase)
    for _ in range(14):
        last = trainer.train_step(batch, phase)
    for name in ("sem.l1", "s2.l1", "sr.l1"):
        assert float(last[name]) < 0.8 * float(first[name]), name


def test_stagegan_losses_fall_on_a_repeated_batch(facades, tmp_path):
    fast = {"train.optimizer.lr": 2e-3, "train.critic_optimizer.lr": 2e-3}
    trainer = _stagegan(facades, tmp_path / "run", overrides=fast)
    _assert_l1_losses_fall(trainer)


def test_sequential_stages_train_one_generator_at_a_time(facades, tmp_path):
    trainer = _stagegan(facades, tmp_path / "run", max_steps=6, overrides={"train.stages": "sequential"})
    assert [(p.generators, p.start, p.end, p.speed) for p in trainer.phases] == [
        (("sem",), 0, 2, 3),
        (("s2",), 2, 4, 3),
        (("sr",), 4, 6, 3),
    ]
    before = {k: v.clone() for k, v in trainer.model.state_dict().items()}
    stop_after_first_phase = lambda t: t.request_stop() if t.step == 2 else None
    trainer.fit(on_step=stop_after_first_phase)
    after = trainer.model.state_dict()
    changed = {
        k.split(".")[1] for k in before if k.endswith("weight") and not torch.equal(before[k], after[k])
    }
    assert changed == {"sem"}
    assert "s2.l1" not in _rows(tmp_path / "run")[0] and "d1" not in _rows(tmp_path / "run")[0]


# ------------------------------------------------------------------ exact resume, checkpoints


def test_interrupted_and_resumed_run_logs_the_same_losses(facades, tmp_path):
    options = {"max_steps": 6, "patch_size": 32, "checkpoint_every": 100}
    _stagegan(facades, tmp_path / "whole", **options).fit()
    # stop mid-epoch (4 images, batch 1: step 3 is inside epoch 0), then resume to the end
    first = _stagegan(facades, tmp_path / "parts", **options)
    result = first.fit(on_step=lambda t: t.request_stop() if t.step == 3 else None)
    assert result.interrupted and result.checkpoint.name == "step-00000003"
    state = json.loads((result.checkpoint / "state.json").read_text())
    assert (state["step"], state["epoch"], state["position"]) == (3, 0, 3)
    _stagegan(facades, tmp_path / "parts", resume=True, **options).fit()
    whole, parts = _rows(tmp_path / "whole"), _rows(tmp_path / "parts")
    assert [r["step"] for r in parts] == [1, 2, 3, 4, 5, 6]
    for a, b in zip(whole, parts, strict=True):
        for key, value in a.items():
            if key != "step_time":
                assert b[key] == pytest.approx(value, abs=1e-6, rel=0), (a["step"], key)


def test_checkpoint_files_never_unpickle(facades, tmp_path):
    result = _stagegan(facades, tmp_path / "run", max_steps=1).fit()
    files = sorted(p.name for p in result.checkpoint.iterdir())
    assert files == ["model.safetensors", "state.json", "state.safetensors"]
    from safetensors.torch import load_file

    tensors = load_file(str(result.checkpoint / "state.safetensors"))
    assert {"rng/0/torch", "critic/d0/model.0.weight"} <= tensors.keys()
    assert any(k.startswith("optim/generators/") and k.endswith("/exp_avg") for k in tensors)
    meta = json.loads((result.checkpoint / "state.json").read_text())
    assert meta["recipe"] == "stagegan-x4" and meta["format"] == ckpt.FORMAT


def test_keep_last_k_and_best(facades, tmp_path):
    _stagegan(facades, tmp_path / "run", max_steps=4, checkpoint_every=1, keep=2, val_every=2).fit()
    folder = tmp_path / "run" / "checkpoints"
    assert sorted(p.name for p in folder.glob("step-*")) == ["step-00000003", "step-00000004"]
    assert json.loads((folder / "latest.json").read_text())["checkpoint"] == "step-00000004"
    best = json.loads((tmp_path / "run" / "best.json").read_text())
    assert best["metric"] == "psnr" and best["step"] in (2, 4)
    assert (tmp_path / "run" / "best.safetensors").is_file()


def test_full_disk_keeps_the_previous_checkpoint(facades, tmp_path, monkeypatch):
    trainer = _stagegan(facades, tmp_path / "run", max_steps=2, checkpoint_every=1, val="")
    calls = {"n": 0}
    real = ckpt._write_bytes

    def flaky(handle, data):
        calls["n"] += 1
        if trainer.step == 2:
            handle.write(data[: len(data) // 2])
            raise OSError(errno.ENOSPC, "No space left on device")
        real(handle, data)

    monkeypatch.setattr(ckpt, "_write_bytes", flaky)
    with pytest.raises(ckpt.CheckpointError, match=r"no space left on the device; .*step-00000001 is intact"):
        trainer.fit()
    folder = tmp_path / "run" / "checkpoints"
    assert sorted(p.name for p in folder.iterdir()) == ["latest.json", "step-00000001"]
    model, _, meta = ckpt.CheckpointStore.load(folder / "step-00000001")
    assert meta["step"] == 1 and model


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_saves_a_checkpoint_and_stops(facades, tmp_path, sig):
    before = signal.getsignal(sig)
    trainer = _stagegan(facades, tmp_path / "run", max_steps=5, val="")
    result = trainer.fit(on_step=lambda t: os.kill(os.getpid(), sig) if t.step == 2 else None)
    assert result.interrupted and result.step == 2 and result.checkpoint.name == "step-00000002"
    assert result.weights is None and not (tmp_path / "run" / "model.safetensors").exists()
    assert signal.getsignal(sig) is before


def test_critic_steps_and_ema(facades, tmp_path):
    trainer = _stagegan(
        facades,
        tmp_path / "run",
        max_steps=2,
        val="",
        overrides={"train.critic_steps": 2, "train.ema_decay": 0.5},
    )
    start = {k: v.clone() for k, v in trainer.model.state_dict().items()}
    result = trainer.fit()
    steps = lambda name: {float(s["step"]) for s in trainer.optimizers[name].state.values()}
    assert steps("generators") == {2.0} and steps("critics") == {4.0}
    exported = srzoo.build(tmp_path / "run" / "recipe.toml", weights=result.weights).state_dict()
    raw = trainer.model.state_dict()
    key = next(k for k in raw if k.startswith("stages.sr.") and k.endswith("weight") and raw[k].ndim == 4)
    # two updates with decay 0.5: shadow = 0.25 start + 0.25 w1 + 0.5 w2; buffers are copied as they are
    assert not torch.equal(exported[key], raw[key]) and not torch.equal(exported[key], start[key])
    bn = next(k for k in raw if k.endswith("running_mean"))
    assert torch.equal(exported[bn], raw[bn])


def test_learning_rate_schedules():
    from srzoo.recipe import Schedule
    from srzoo.train.schedule import lr_factor

    step = Schedule("step", step_epochs=50, gamma=0.5)
    assert [lr_factor(step, e) for e in (0, 49, 50, 100, 149)] == [1.0, 1.0, 0.5, 0.25, 0.25]
    linear = Schedule("linear-decay", constant_epochs=2, decay_epochs=3)
    assert [lr_factor(linear, e) for e in range(6)] == pytest.approx([1, 1, 0.75, 0.5, 0.25, 0.0])
    assert lr_factor(Schedule(), 10**6) == 1.0


# ------------------------------------------------------------------ health, devices


def test_non_finite_losses_skip_then_roll_back(facades, tmp_path):
    trainer = _stagegan(facades, tmp_path / "run", max_steps=8, checkpoint_every=1, max_bad_steps=3)
    term = next(t for t in trainer.terms if t.name == "s2.l1")
    good = term.loss

    def poisoned(prediction, target):
        value = good(prediction, target)
        return value * float("nan") if trainer.step >= 2 else value

    term.loss = poisoned
    with pytest.raises(
        TrainingDiverged,
        match=r"loss 's2.l1' was NaN/inf for 3 steps in a row .*rolled back to .*step-00000002",
    ):
        trainer.fit()
    rows = _rows(tmp_path / "run")
    assert [r["skipped"] for r in rows] == [0, 0, 1, 1, 1]
    saved, _, _ = ckpt.CheckpointStore.load(tmp_path / "run" / "checkpoints" / "step-00000002")
    assert all(torch.equal(v, saved[k]) for k, v in trainer.model.state_dict().items())


def test_bf16_autocast_and_channels_last_on_cpu(facades, tmp_path):
    result = _stagegan(
        facades, tmp_path / "run", max_steps=2, precision="bf16", channels_last=True, val=""
    ).fit()
    rows = _rows(tmp_path / "run")
    assert result.step == 2 and all(np.isfinite(r["sr.l1"]) for r in rows) and rows[-1]["skipped"] == 0


@pytest.mark.parametrize("native", [False, True])
def test_bf16_on_a_cpu_without_native_bf16_warns(facades, tmp_path, monkeypatch, native):
    import srzoo.train.trainer as trainer_module

    monkeypatch.setattr(trainer_module, "cpu_bf16_is_native", lambda: native)
    _stagegan(facades, tmp_path / "run", max_steps=1, precision="bf16", val="").fit()
    log = (tmp_path / "run" / "train.log").read_text()
    warned = "has no native bfloat16 (AVX512-BF16 or AMX), so bf16 autocast is emulated" in log
    assert warned != native
    if not native:
        assert "train without --bf16 here" in log


def test_cpu_bf16_is_native_follows_the_cpu_flags(monkeypatch):
    from srzoo.runtime.devices import cpu_bf16_is_native

    monkeypatch.setattr(torch.cpu, "_is_avx512_bf16_supported", lambda: False)
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: False)
    assert cpu_bf16_is_native() is False
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: True)
    assert cpu_bf16_is_native() is True


# ------------------------------------------------------------------ baselines


def test_srcnn_mse_on_y_with_lr_multipliers(photos, tmp_path):
    trainer = Trainer(
        "srcnn-x4",
        data=photos,
        out=tmp_path / "run",
        max_steps=2,
        batch_size=2,
        patch_size=32,
        progress=False,
    )
    groups = trainer.optimizers["generators"].param_groups
    assert sorted(g["base_lr"] for g in groups) == pytest.approx([1e-5, 1e-4])
    assert type(trainer.optimizers["generators"]).__name__ == "SGD"
    result = trainer.fit()
    assert result.weights.is_file() and "sr.mse" in _rows(tmp_path / "run")[0]
    assert not (tmp_path / "run" / "validation.jsonl").exists()  # no held-out folder given


def test_lapsrn_charbonnier_at_every_level(photos, tmp_path):
    trainer = Trainer(
        "lapsrn-x4",
        data=photos,
        out=tmp_path / "run",
        batch_size=2,
        patch_size=32,
        max_steps=1,
        overrides={"sr.depth": 1},
        progress=False,
    )
    term = trainer.terms[0]
    assert term.pyramid and term.name == "sr.charbonnier"
    batch = trainer.batches(next(iter(trainer.loader)))
    from srzoo_plugins.baselines.losses import charbonnier_loss
    from srzoo_plugins.baselines.ycbcr import rgb_to_y

    with torch.no_grad():
        levels = trainer._gen_run["sr"](batch["lr"])
        value = trainer._pyramid_loss(term, levels, batch)
        # independent reference: both levels against the Y of HR resized (MATLAB bicubic) to their size
        reference = trainer.model.stages["sr"].forward_pyramid(rgb_to_y(batch["lr"]))
        half = srzoo.create("degradation", "bicubic", scale=2)(batch["hr"])
        expected = charbonnier_loss(reference[0], rgb_to_y(half)) + charbonnier_loss(
            reference[1], rgb_to_y(batch["hr"])
        )
    assert [tuple(level.shape[-2:]) for level in levels] == [(16, 16), (32, 32)]
    assert float(value) == pytest.approx(float(expected), rel=1e-6)
    record = trainer.train_step(batch, trainer.phases[0])
    assert float(record["_ok"]) == 1 and float(record["sr.charbonnier"]) == pytest.approx(
        float(expected), rel=1e-5
    )


def test_srgan_without_vgg_weights_is_one_clear_line(photos, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "empty-hf"))
    code = main(
        ["train", "srgan-x4", "--data", str(photos), "--out", str(tmp_path / "run"), "--max-steps", "1"]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert "perceptual loss needs local VGG19 weights" in err and len(err.strip().splitlines()) <= 3


def test_init_from_loads_generator_weights(photos, tmp_path):
    source = srzoo.build("srresnet-x4", sr={"num_blocks": 1, "features": 8})
    srzoo.save_weights(source, tmp_path / "init.safetensors")
    trainer = Trainer(
        "srresnet-x4",
        data=photos,
        out=tmp_path / "run",
        max_steps=1,
        batch_size=2,
        patch_size=32,
        init_from=tmp_path / "init.safetensors",
        overrides={"sr.num_blocks": 1, "sr.features": 8},
        progress=False,
    )
    assert all(torch.equal(v, source.state_dict()[k]) for k, v in trainer.model.state_dict().items())


# ------------------------------------------------------------------ bad input: one line, exit 2


def _cli(capsys, *args: str) -> tuple[int, str]:
    code = main(["train", *args, "--quiet"])
    return code, capsys.readouterr().err.strip()


def test_bad_input_gives_one_line(facades, photos, tmp_path, capsys):
    out = str(tmp_path / "run")
    code, err = _cli(capsys, "srcnn-x4", "--data", str(tmp_path / "missing"), "--out", out)
    assert code == 2 and "no such folder" in err and len(err.splitlines()) == 1
    (tmp_path / "empty").mkdir()
    code, err = _cli(capsys, "srcnn-x4", "--data", str(tmp_path / "empty"), "--out", out)
    assert code == 2 and "no image files" in err
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "notes.txt").write_text("hello")
    code, err = _cli(capsys, "srcnn-x4", "--data", str(tmp_path / "junk"), "--out", out)
    assert code == 2 and "no image files" in err
    code, err = _cli(capsys, "bicubic-x4", "--data", str(photos), "--out", out)
    assert code == 2 and "has no [train] table" in err
    code, err = _cli(capsys, "stagegan-x4", "--data", str(photos), "--out", out)
    assert code == 2 and "has no semantic maps" in err and "train.critics[0] (d0)" in err
    code, err = _cli(
        capsys,
        "srcnn-x4",
        "--data",
        str(photos),
        "--out",
        out,
        "--resume",
        "--patch-size",
        "32",
        "--batch-size",
        "2",
        "--max-steps",
        "1",
    )
    assert code == 2 and "no checkpoint to resume from" in err


def test_resume_refuses_another_recipe_or_architecture(facades, photos, tmp_path, capsys):
    run = tmp_path / "run"
    args = [
        "--data",
        str(photos),
        "--out",
        str(run),
        "--max-steps",
        "1",
        "--batch-size",
        "2",
        "--patch-size",
        "32",
    ]
    assert _cli(capsys, "srcnn-x4", *args)[0] == 0
    code, err = _cli(capsys, "srresnet-x4", *args, "--resume")
    assert code == 2 and "was saved by recipe 'srcnn-x4', not 'srresnet-x4'" in err
    code, err = _cli(capsys, "srcnn-x4", *args, "--resume", "--set", "sr.filters=[32, 16]")
    assert code == 2 and "holds another architecture" in err
    code, err = _cli(capsys, "srcnn-x4", *args)
    assert code == 2 and "pass --resume" in err


def test_resume_takes_the_learning_rate_from_the_recipe_as_given(photos, tmp_path, capsys):
    args = ["--data", str(photos), "--out", str(tmp_path / "run"), "--batch-size", "2", "--patch-size", "32"]
    assert _cli(capsys, "srcnn-x4", *args, "--max-steps", "1", "--log-every", "1")[0] == 0
    assert (
        _cli(
            capsys,
            "srcnn-x4",
            *args,
            "--max-steps",
            "2",
            "--log-every",
            "1",
            "--resume",
            "--set",
            "train.optimizer.lr=5e-5",
        )[0]
        == 0
    )
    assert [r["lr/sr"] for r in _rows(tmp_path / "run")] == pytest.approx([1e-4, 5e-5])


def test_options_are_checked():
    with pytest.raises(srzoo.InputError, match="max_steps must be a positive integer, got 0"):
        TrainOptions(data=Path("."), out=Path("."), max_steps=0)
    with pytest.raises(srzoo.InputError, match="precision must be one of fp32, bf16, fp16"):
        TrainOptions(data=Path("."), out=Path("."), precision="int8")


def test_srzoo_train_is_callable_and_trainer_is_exported():
    assert callable(srzoo.train) and srzoo.Trainer is Trainer


@pytest.mark.shared_data
def test_narrow_stagegan_on_eight_facades_images(data_dir, tmp_path, capsys):
    import shutil

    for split, count in (("train", 8), ("test", 1)):
        (tmp_path / "facades" / split).mkdir(parents=True)
        for index in range(1, count + 1):
            shutil.copy(data_dir / "facades" / split / f"{index}.jpg", tmp_path / "facades" / split)
    widths = [f"{k}={v}" for k, v in TINY_STAGEGAN.items()]
    args = ["--data", str(tmp_path / "facades"), "--out", str(tmp_path / "run"), "--max-steps", "8"]
    args += ["--patch-size", "64", "--log-every", "1", "--val-images", "1"]
    code, err = _cli(capsys, "stagegan-x4", *args, *[x for w in widths for x in ("--set", w)])
    assert code == 0, err
    assert [r["step"] for r in _rows(tmp_path / "run")] == list(range(1, 9))
    # on one repeated real batch, every stage's L1 falls
    fast = {**TINY_STAGEGAN, "train.optimizer.lr": 2e-3, "train.critic_optimizer.lr": 2e-3}
    trainer = Trainer(
        "stagegan-x4",
        data=tmp_path / "facades",
        out=tmp_path / "again",
        patch_size=64,
        max_steps=1,
        val="",
        overrides=fast,
        progress=False,
    )
    _assert_l1_losses_fall(trainer)
