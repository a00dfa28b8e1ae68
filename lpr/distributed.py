"""Where a training process runs: its device, and its place in a ``torchrun`` job.

PyTorch's own launcher does the work (no home-made one):

    torchrun --standalone --nproc_per_node 2 -m lpr train --config configs/cn.yaml   # one machine
    torchrun --nnodes 2 --node_rank 0 --rdzv_backend c10d --rdzv_endpoint HOST:29400 \\
        --nproc_per_node 4 -m lpr train ...                                          # several

``torchrun`` sets RANK / WORLD_SIZE / LOCAL_RANK; without them training is one process.
Collectives use gloo on CPU and nccl on CUDA.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class Job:
    """This process's rank among ``world`` training processes (rank 0 writes everything)."""

    rank: int = 0
    world: int = 1
    local_rank: int = 0

    @property
    def main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world > 1


def resolve_device(spec: str = "auto") -> torch.device:
    """``auto`` = CUDA when present, else CPU; ``cuda`` on a machine without it is an error."""
    if spec == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(spec)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"--device {spec}: no CUDA device on this machine (use --device cpu or auto)")
    return device


def start(device: torch.device) -> tuple[Job, torch.device]:
    """Join the torchrun job if there is one; returns the job and this process's device."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return Job(), device
    job = Job(int(os.environ["RANK"]), world, int(os.environ.get("LOCAL_RANK", "0")))
    if device.type == "cuda":
        device = torch.device("cuda", job.local_rank)
        torch.cuda.set_device(device)
    if not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return job, device


def any_of(job: Job, flags: list[bool], device: torch.device) -> list[bool]:
    """Each flag OR-ed over all processes, so every rank takes the same decision."""
    if not job.distributed:
        return flags
    t = torch.tensor([float(f) for f in flags], device=device)
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return [bool(v) for v in t.tolist()]


def barrier(job: Job) -> None:
    if job.distributed:
        dist.barrier()


def stop(job: Job) -> None:
    if job.distributed and dist.is_initialized():
        dist.destroy_process_group()
