"""``srzoo train`` under DistributedDataParallel: 2 CPU processes (gloo on 127.0.0.1) stay in sync."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
import torch
import torch.multiprocessing as mp
from test_train import TINY_STAGEGAN, _facades


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _worker(rank: int, world: int, port: int, data: str, out: str) -> None:
    import os

    os.environ.update(
        MASTER_ADDR="127.0.0.1",
        MASTER_PORT=str(port),
        RANK=str(rank),
        WORLD_SIZE=str(world),
        LOCAL_RANK=str(rank),
    )
    torch.set_num_threads(1)
    from safetensors.torch import save_file

    from srzoo.train import Trainer

    trainer = Trainer(
        "stagegan-x4",
        data=data,
        out=out,
        max_steps=3,
        log_every=1,
        patch_size=32,
        val_images=1,
        device="cpu",
        progress=False,
        overrides=TINY_STAGEGAN,
    )
    assert trainer.dist.world_size == world and trainer.dist.rank == rank
    trainer.fit()
    state = {f"model/{k}": v for k, v in trainer.model.state_dict().items()}
    for name, critic in trainer.critics.items():
        state.update({f"{name}/{k}": v for k, v in critic.network.state_dict().items()})
    save_file({k: v.contiguous() for k, v in state.items()}, str(Path(out) / f"rank{rank}.safetensors"))


@pytest.mark.slow
def test_two_cpu_processes_hold_identical_weights(tmp_path):
    _facades(tmp_path / "data" / "train", 4)
    out = tmp_path / "run"
    mp.start_processes(
        _worker,
        args=(2, _free_port(), str(tmp_path / "data" / "train"), str(out)),
        nprocs=2,
        start_method="spawn",
    )
    from safetensors.torch import load_file

    a, b = load_file(str(out / "rank0.safetensors")), load_file(str(out / "rank1.safetensors"))
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key
    # only rank 0 writes the run: one row per step, and the weights moved from their initialisation
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == [1, 2, 3]
    run = json.loads((out / "run.json").read_text())
    assert run["world_size"] == 2 and run["steps_per_epoch"] == 2
    events = [line.split(" ", 3)[2] for line in (out / "train.log").read_text().splitlines()]
    assert events.count("start") == 1 and events.count("finished") == 1  # rank 0's lines only
