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
    """End the group ``init`` started, while the interpreter is fully alive. DDP's reducer sits in
    reference cycles that hold the gloo group past ``destroy_process_group``; left to the
    collection at exit, the group's worker threads are torn down during finalisation and abort
    the process (``terminate called without an active exception``), more often on a loaded
    machine. Collecting first frees the reducer so the group ends here."""
    if world.started_group:
        import gc

        gc.collect()
        torch.distributed.destroy_process_group()
        gc.collect()


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


def group_size() -> int:
    """The size of the initialised process group (1 without one)."""
    dist = torch.distributed
    return dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1


def sum_over_ranks(x: Tensor) -> Tensor:
    """A differentiable all-reduce (sum): every rank backprops through the global statistic (the
    gradient is all-reduced too); plain ``dist.all_reduce`` would cut the graph."""
    import warnings

    from torch.distributed.nn.functional import all_reduce

    with warnings.catch_warnings():  # its successor is differentiable only in recent torch
        warnings.simplefilter("ignore", FutureWarning)
        return all_reduce(x, op=torch.distributed.ReduceOp.SUM)


class _GlobalStats:
    """Batch norm whose training statistics are those of the global batch across all ranks.

    ``torch.nn.SyncBatchNorm`` does this on GPUs only; this runs on any backend (gloo on CPU,
    nccl on GPU), through differentiable all-reduces, so N ranks at B/N train the same model as
    one process at B. Outside a process group it is the plain batch norm it subclasses, and
    its state dict is that one's: checkpoints do not change.
    """

    def forward(self, x: Tensor) -> Tensor:
        """x: (N, C, ...) -> (N, C, ...), normalised per channel over every other dim."""
        if not self.training or group_size() == 1:
            return super().forward(x)
        dims = [0, *range(2, x.dim())]
        shape = [1, -1] + [1] * (x.dim() - 2)
        xf = x.float()
        count = sum_over_ranks(torch.tensor([float(x.numel() // x.shape[1])], device=x.device))
        mean = sum_over_ranks(xf.sum(dims)) / count  # two passes: steadier than E[x²] - E[x]²
        var = sum_over_ranks(((xf - mean.view(shape)) ** 2).sum(dims)) / count
        with torch.no_grad():
            m = self.momentum
            self.running_mean.mul_(1 - m).add_(mean.detach(), alpha=m)
            self.running_var.mul_(1 - m).add_(var.detach() * count / (count - 1).clamp_min(1), alpha=m)
            self.num_batches_tracked += 1
        y = (xf - mean.view(shape)) * torch.rsqrt(var.view(shape) + self.eps)
        if self.affine:
            y = y * self.weight.view(shape) + self.bias.view(shape)
        return y.to(x.dtype)


class GlobalBatchNorm1d(_GlobalStats, nn.BatchNorm1d):
    pass


class GlobalBatchNorm2d(_GlobalStats, nn.BatchNorm2d):
    pass


GLOBAL = {nn.BatchNorm1d: GlobalBatchNorm1d, nn.BatchNorm2d: GlobalBatchNorm2d}


def convert_batchnorm(module: nn.Module) -> nn.Module:
    """Swap every BatchNorm1d/2d in ``module`` for its global-batch twin, same state (in place)."""
    for name, child in module.named_children():
        if type(child) in GLOBAL:
            new = GLOBAL[type(child)](child.num_features, child.eps, child.momentum, child.affine,
                                      child.track_running_stats)  # fmt: skip
            new.load_state_dict(child.state_dict())
            new.to(next(child.buffers()).device)
            setattr(module, name, new)
        else:
            convert_batchnorm(child)
    return module
