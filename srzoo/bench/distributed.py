"""Sharded evaluation under ``torchrun``: images split across ranks, records gathered on every rank.

Under ``torchrun --nproc_per_node N`` (``WORLD_SIZE > 1`` in the environment) the benchmark joins
the process group (``gloo`` on CPU, ``nccl`` on CUDA), scores image ``i`` on rank ``i % N`` and
gathers the per-image records, so that every rank computes the same means as one process would;
only rank 0 reports. Without ``torchrun`` everything runs in one process.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist

from ..runtime.distributed import Distributed

__all__ = ["Shard", "current_shard", "local_device"]


@dataclass(frozen=True)
class Shard:
    """This process's part of the work.

    Attributes:
        rank: this process's rank (0 without ``torchrun``).
        world: the number of processes.
    """

    rank: int = 0
    world: int = 1

    def owns(self, index: int) -> bool:
        """Whether image ``index`` is scored by this process."""
        return index % self.world == self.rank

    def gather(self, records: list[Any]) -> list[Any]:
        """Every rank's ``records``, concatenated in rank order (this rank's own list when alone)."""
        if self.world == 1:
            return list(records)
        parts: list[list[Any] | None] = [None] * self.world
        dist.all_gather_object(parts, records)
        return [record for part in parts for record in (part or [])]


def current_shard(device: torch.device) -> Shard:
    """The shard of this process, joining the ``torchrun`` process group on first use."""
    job = Distributed.setup(device)  # the same torchrun set-up training uses
    return Shard(job.rank, job.world_size)


def local_device() -> torch.device:
    """``cuda:LOCAL_RANK``: this rank's GPU under ``torchrun``."""
    return torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
