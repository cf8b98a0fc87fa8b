"""``torchrun`` support: the process group, DistributedDataParallel wrapping, rank-0-only output.

Training wraps its networks with it; the benchmark (`srzoo.bench.distributed`) shards images by it.

Under ``torchrun --nproc_per_node N`` the environment carries ``RANK``, ``WORLD_SIZE`` and
``LOCAL_RANK``; the process group uses NCCL on CUDA and gloo on the CPU. Without them everything
here is a no-op for one process.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel

__all__ = ["Distributed"]


@dataclass
class Distributed:
    """This process's place in the job.

    Attributes:
        rank: global rank (0 logs and writes files).
        world_size: number of processes.
        local_rank: rank on this machine (picks ``cuda:LOCAL_RANK``).
        initialised_here: whether `setup` created the process group (and destroys it).
    """

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    initialised_here: bool = False

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @classmethod
    def setup(cls, device: torch.device) -> Distributed:
        """Join the job described by the environment (``torchrun``), or run alone."""
        if dist.is_available() and dist.is_initialized():
            return cls(dist.get_rank(), dist.get_world_size(), int(os.environ.get("LOCAL_RANK", "0")))
        world = int(os.environ.get("WORLD_SIZE", "1"))
        if world <= 1:
            return cls()
        rank = int(os.environ["RANK"])
        local = int(os.environ.get("LOCAL_RANK", rank))
        backend = "nccl" if device.type == "cuda" else "gloo"
        if device.type == "cuda":
            torch.cuda.set_device(local)
        dist.init_process_group(backend=backend)
        return cls(rank, world, local, initialised_here=True)

    def device_for(self, device: torch.device) -> torch.device:
        """``cuda:LOCAL_RANK`` for a CUDA run under torchrun, else ``device``."""
        if self.enabled and device.type == "cuda":
            return torch.device("cuda", self.local_rank)
        return device

    def wrap(self, module: nn.Module, device: torch.device) -> nn.Module:
        """``module`` in DistributedDataParallel when running distributed and it has parameters."""
        if not self.enabled or not any(p.requires_grad for p in module.parameters()):
            return module
        ids = [device.index] if device.type == "cuda" else None
        return DistributedDataParallel(module, device_ids=ids)

    def sync_buffers(self, module: nn.Module) -> None:
        """Copy rank 0's buffers (BatchNorm statistics) to every rank.

        DDP broadcasts buffers at the start of each of its forwards, but a network also run outside
        DDP (a critic scoring the generator's fakes) updates its statistics locally afterwards.
        """
        if self.enabled:
            for buffer in module.buffers():
                dist.broadcast(buffer.data, src=0)

    def barrier(self) -> None:
        if self.enabled:
            dist.barrier()

    def all_ok(self, ok: bool) -> bool:
        """Whether every rank says ``ok`` (all ranks skip a step together)."""
        if not self.enabled:
            return ok
        flag = torch.tensor([1.0 if ok else 0.0])
        dist.all_reduce(flag, op=dist.ReduceOp.MIN)
        return bool(flag.item() > 0)

    def any_flag(self, flag: bool) -> bool:
        """Whether any rank raised ``flag`` (e.g. a stop request seen by rank 0 only)."""
        if not self.enabled:
            return flag
        value = torch.tensor([1.0 if flag else 0.0])
        dist.all_reduce(value, op=dist.ReduceOp.MAX)
        return bool(value.item() > 0)

    def gather_objects(self, obj: object) -> list[object]:
        """Every rank's ``obj`` (rank order); a one-item list when alone."""
        if not self.enabled:
            return [obj]
        out: list[object] = [None] * self.world_size
        dist.all_gather_object(out, obj)
        return out

    def teardown(self) -> None:
        if self.initialised_here and dist.is_initialized():
            dist.destroy_process_group()
