"""SIGReg under torch.distributed: two gloo ranks with half a batch each must reproduce the
single-process statistic on the full batch (and its gradient, after DDP's averaging)."""

import os
import socket

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from worldjepa.losses import SIGReg

WORLD, B, T, D = 2, 64, 2, 8


def full_batch() -> torch.Tensor:
    return torch.randn(B, T, D, generator=torch.Generator().manual_seed(0))


def worker(rank: int, port: int, results) -> None:
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    dist.init_process_group("gloo", rank=rank, world_size=WORLD)
    try:
        z = full_batch().chunk(WORLD)[rank].clone().requires_grad_(True)
        stat = SIGReg(num_proj=16)(z, torch.Generator().manual_seed(3))  # same seed on every rank
        stat.backward()
        results[rank] = (stat.detach(), z.grad / WORLD)  # / WORLD: what DDP's grad averaging does
    finally:
        dist.destroy_process_group()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_ddp_sigreg_matches_the_full_batch():
    z = full_batch().requires_grad_(True)
    stat = SIGReg(num_proj=16)(z, torch.Generator().manual_seed(3))
    stat.backward()

    results = mp.Manager().dict()
    mp.spawn(worker, args=(free_port(), results), nprocs=WORLD, join=True)
    for rank in range(WORLD):
        rank_stat, rank_grad = results[rank]
        assert torch.allclose(rank_stat, stat.detach(), rtol=1e-5)
        assert torch.allclose(rank_grad, z.grad.chunk(WORLD)[rank], atol=1e-6)
