"""One training, N processes: torchrun's environment -> a process group, and the few collectives
the trainer needs (metric means, barriers, a batch norm over the global batch).

    torchrun --nproc_per_node=2 -m worldjepa train ...      # gloo on CPU, nccl on GPU

Outside torchrun (no ``WORLD_SIZE``) everything here is a no-op on one rank.
"""

from __future__ import annotations

import datetime
import os
from dataclasses import dataclass

import torch
from torch import Tensor, nn


@dataclass(frozen=True)
class World:
    rank: int = 0
    size: int = 1
    local_rank: int = 0
    started_group: bool = False  # whether ``init`` created the process group (and must end it)

    @property
    def main(self) -> bool:
        """Rank 0 alone logs, validates and checkpoints."""
        return self.rank == 0


def launched_ranks() -> int:
    """WORLD_SIZE as torchrun sets it (1 outside torchrun)."""
    return int(os.environ.get("WORLD_SIZE", "1"))


def init(device: torch.device) -> World:
    """Join the process group torchrun describes (if any): nccl on cuda, gloo otherwise. A group
    the caller already started is used as it is."""
    dist = torch.distributed
    if dist.is_available() and dist.is_initialized():
        return World(dist.get_rank(), dist.get_world_size(), int(os.environ.get("LOCAL_RANK", 0)))
    if launched_ranks() == 1:
        return World()
    backend = "nccl" if device.type == "cuda" else "gloo"
    dist.init_process_group(backend, timeout=datetime.timedelta(minutes=30))
    return World(dist.get_rank(), dist.get_world_size(), int(os.environ.get("LOCAL_RANK", 0)), True)


def local_device(device: torch.device, world: World) -> torch.device:
    """Each rank of a multi-GPU run trains on its own GPU: ``cuda`` -> ``cuda:<local rank>``."""
    if device.type == "cuda" and device.index is None and world.size > 1:
        device = torch.device("cuda", world.local_rank)
    if device.type == "cuda":
        torch.cuda.set_device(device)
    return device


def shutdown(world: World) -> None:
    if world.started_group:
        torch.distributed.destroy_process_group()


def barrier(world: World) -> None:
    if world.size > 1:
        torch.distributed.barrier()


def mean_over_ranks(values: dict[str, float], world: World, device: torch.device) -> dict[str, float]:
    """Each value averaged over the ranks (equal per-rank batches: the global-batch mean)."""
    if world.size == 1 or not values:
        return values
    keys = sorted(values)
    t = torch.tensor([values[k] for k in keys], dtype=torch.float64, device=device)
    torch.distributed.all_reduce(t)
    return {k: v / world.size for k, v in zip(keys, t.tolist(), strict=True)}


def gather_rows(x: Tensor, world: World) -> Tensor:
    """x: (n, ...) on each rank -> (world * n, ...) on every rank (not differentiable)."""
    if world.size == 1:
        return x
    parts = [torch.empty_like(x) for _ in range(world.size)]
    torch.distributed.all_gather(parts, x.contiguous())
    return torch.cat(parts)


def _sum_over_ranks(x: Tensor) -> Tensor:
    """A differentiable all-reduce (sum): every rank backprops through the global statistic."""
    from torch.distributed.nn.functional import all_reduce

    return all_reduce(x, op=torch.distributed.ReduceOp.SUM)


class GlobalBatchNorm1d(nn.BatchNorm1d):
    """BatchNorm1d whose training statistics are those of the global batch across all ranks.

    ``torch.nn.SyncBatchNorm`` does this on GPUs only; this one runs on any backend (gloo on
    CPU, nccl on GPU), through differentiable all-reduces, so N ranks at B/N train the same
    model as one process at B. Outside a process group it is a plain BatchNorm1d. Its state
    dict is BatchNorm1d's: checkpoints do not change.
    """

    def forward(self, x: Tensor) -> Tensor:
        """x: (N, C) -> (N, C)."""
        dist = torch.distributed
        if not (
            self.training and dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1
        ):
            return super().forward(x)
        xf = x.float()
        count = _sum_over_ranks(torch.tensor([float(x.shape[0])], device=x.device))
        mean = _sum_over_ranks(xf.sum(0)) / count  # two passes: steadier than E[x²] - E[x]²
        var = _sum_over_ranks(((xf - mean) ** 2).sum(0)) / count
        with torch.no_grad():
            m = self.momentum
            self.running_mean.mul_(1 - m).add_(mean.detach(), alpha=m)
            self.running_var.mul_(1 - m).add_(var.detach() * count / (count - 1).clamp_min(1), alpha=m)
            self.num_batches_tracked += 1
        y = (xf - mean) * torch.rsqrt(var + self.eps)
        if self.affine:
            y = y * self.weight + self.bias
        return y.to(x.dtype)


def convert_batchnorm(module: nn.Module) -> nn.Module:
    """Swap every BatchNorm1d in ``module`` for a GlobalBatchNorm1d with the same state (in place)."""
    for name, child in module.named_children():
        if type(child) is nn.BatchNorm1d:
            new = GlobalBatchNorm1d(child.num_features, child.eps, child.momentum, child.affine,
                                    child.track_running_stats)  # fmt: skip
            new.load_state_dict(child.state_dict())
            new.to(next(child.buffers()).device)
            setattr(module, name, new)
        else:
            convert_batchnorm(child)
    return module
