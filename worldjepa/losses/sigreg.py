"""Training losses: latent prediction MSE and SIGReg (LeJEPA's anti-collapse regulariser).

SIGReg pushes a batch of embeddings towards an isotropic standard Gaussian by testing, on many
random 1-D projections, whether each projection looks like N(0, 1). The test is Epps–Pulley:
the weighted squared distance between the empirical characteristic function (CF) of the
projected samples and the CF of N(0, 1), ``exp(-t²/2)``. Its cost is linear in batch and
dimension, and its minimum (an isotropic Gaussian) rules out collapse without any
stop-gradient, EMA target or negative pairs.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from worldjepa.training.distributed import group_size, sum_over_ranks


def prediction_loss(pred: Tensor, target: Tensor) -> Tensor:
    """pred, target: (B, T, D) float -> scalar MSE, averaged over every element."""
    return F.mse_loss(pred, target)


class SIGReg(nn.Module):
    """Sketched Isotropic Gaussian Regulariser (Epps–Pulley statistic on random projections).

    For ``num_proj`` random unit directions u_m (fresh each call), project x = z·u_m and compute

        EP(x) = B · ∫_{-t_max}^{t_max} |φ̂_B(t) − e^{−t²/2}|² · e^{−t²/2} dt,

    where φ̂_B(t) = mean_b e^{i t x_b} is the empirical CF over the batch. The integrand is even
    in t, so we integrate over [0, t_max] with the trapezoid rule on ``num_knots`` knots and
    double it. Multiplying by B makes the statistic O(1) for Gaussian data (the CF error has
    variance ~1/B), so its floor does not move with batch size; collapsed data scores O(B).
    The result is averaged over directions and time steps.

    DDP: the empirical CF means are averaged across ranks before the error is formed and the
    statistic is scaled by the global batch (``B * world_size``; equal per-rank batches are
    assumed). All ranks must project on the *same* directions, so callers must seed
    ``generator`` identically on every rank (e.g. ``torch.Generator().manual_seed(step)``).
    Every rank then gets the same (global) value; its local gradient is world_size times the
    full-batch one, which DDP's gradient averaging turns back into exactly the single-process
    full-batch gradient (tests/worldjepa/test_sigreg_ddp.py checks both).
    """

    def __init__(self, num_proj: int = 1024, num_knots: int = 17, t_max: float = 3.0):
        super().__init__()
        self.num_proj = num_proj
        t = torch.linspace(0.0, t_max, num_knots)
        gauss_cf = torch.exp(-0.5 * t**2)  # CF of N(0,1); it is also the weight w(t)
        trapezoid = torch.full((num_knots,), t_max / (num_knots - 1))
        trapezoid[[0, -1]] /= 2
        # weights_k = 2 (negative t) * trapezoid_k * w(t_k): the integral becomes a dot product.
        self.register_buffer("t", t, persistent=False)
        self.register_buffer("gauss_cf", gauss_cf, persistent=False)
        self.register_buffer("weights", 2.0 * trapezoid * gauss_cf, persistent=False)

    def directions(self, dim: int, generator: torch.Generator | None, device: torch.device) -> Tensor:
        """-> (D, M) float32 unit columns, drawn on the generator's device then moved."""
        gen_device = generator.device if generator is not None else device
        dirs = torch.randn(dim, self.num_proj, generator=generator, device=gen_device)
        return F.normalize(dirs, dim=0).to(device)

    def forward(self, z: Tensor, generator: torch.Generator | None = None) -> Tensor:
        """z: (B, T, D) or (N, D) float -> scalar statistic (≈1.06 for N(0, I), O(B) if collapsed).

        The CF is taken over the batch dimension B separately for each time step.
        """
        if z.dim() == 2:
            z = z.unsqueeze(1)  # (N, D) -> (N, 1, D): one "time step"
        # cos/sin of large projections are meaningless in bf16: always test in float32, also
        # under the trainer's autocast (which would otherwise run the projection matmul in bf16).
        with torch.autocast(z.device.type, enabled=False):
            return self._statistic(z.float(), generator)

    def _statistic(self, z: Tensor, generator: torch.Generator | None) -> Tensor:
        """z: (B, T, D) float32 -> scalar (see ``forward``)."""
        batch = z.shape[0]
        world = group_size()
        x = z @ self.directions(z.shape[-1], generator, z.device)  # (B, T, M)
        xt = x.unsqueeze(-1) * self.t  # (B, T, M, K)
        cf = torch.stack([xt.cos().mean(0), xt.sin().mean(0)])  # (2, T, M, K): real, imag
        real, imag = cf if world == 1 else sum_over_ranks(cf) / world
        err = (real - self.gauss_cf) ** 2 + imag**2  # (T, M, K)
        stat = (err @ self.weights) * (batch * world)  # (T, M)
        return stat.mean()
