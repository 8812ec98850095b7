"""iCEM (Pinneri et al., 2020): CEM with temporally coloured noise, a shrinking population,
elites carried over between iterations, and momentum on the sampling distribution.

Coloured noise (power ~ 1/f^beta along the horizon) proposes smooth action sequences, which
reach further per sample than white noise; carried-over elites are never lost to bad draws.
"""

from __future__ import annotations

import torch
from torch import Tensor

from worldjepa.planners.base import PLANNERS, CostFn
from worldjepa.planners.sampling import SamplingPlanner, colored_noise


@PLANNERS.register("icem")
class ICEM(SamplingPlanner):
    """ICEM(num_samples, num_iters, num_elites, noise_beta, keep_elites, population_decay,
    momentum, init_std, min_std, seed, device).

    Iteration i samples max(2 * num_elites, num_samples * population_decay**-i) candidates
    (the mean and ``keep_elites`` x num_elites of the previous elites included); mean and
    std move ``1 - momentum`` of the way to the elites'. Stds are fractions of the half-range.
    """

    def __init__(
        self,
        num_samples: int = 300,
        num_iters: int = 30,
        num_elites: int = 30,
        noise_beta: float = 2.0,
        keep_elites: float = 0.3,
        population_decay: float = 1.25,
        momentum: float = 0.1,
        init_std: float = 1.0,
        min_std: float = 0.02,
        seed: int = 0,
        device: str | torch.device = "cpu",
    ):
        super().__init__(num_iters, seed, device)
        if not 1 <= num_elites <= num_samples:
            raise ValueError(f"num_elites ({num_elites}) must be in [1, num_samples={num_samples}]")
        if not 0 <= keep_elites <= 1 or not 0 <= momentum < 1 or population_decay < 1:
            raise ValueError("need 0 <= keep_elites <= 1, 0 <= momentum < 1 and population_decay >= 1")
        self.num_samples, self.num_elites, self.noise_beta = num_samples, num_elites, noise_beta
        self.keep_elites, self.population_decay, self.momentum = keep_elites, population_decay, momentum
        self.init_std, self.min_std = init_std, min_std

    def population(self, it: int) -> int:
        return max(2 * self.num_elites, int(self.num_samples * self.population_decay**-it))

    def _plan(
        self, cost_fn: CostFn, init: Tensor, low: Tensor, high: Tensor, generator
    ) -> tuple[Tensor, Tensor]:
        B, H, A = init.shape
        K = self.num_elites
        half_range = (high - low) / 2
        mean, std = init, (self.init_std * half_range).expand(B, H, A)
        min_std = self.min_std * half_range
        kept = init[:, None, :, :][:, :0]  # (B, 0, H, A): no elites yet
        best = torch.empty(self.num_iters, B, device=self.device)
        for it in range(self.num_iters):
            n_new = self.population(it) - 1 - kept.shape[1]
            noise = colored_noise(self.noise((B, n_new, H, A), generator), self.noise_beta)
            samples = torch.cat([mean[:, None], kept, mean[:, None] + std[:, None] * noise], dim=1).clamp(
                low, high
            )
            costs = cost_fn(samples)  # (B, N)
            elite_costs, elite_idx = costs.topk(K, dim=1, largest=False)
            elites = torch.take_along_dim(samples, elite_idx[:, :, None, None], dim=1)  # (B, K, H, A)
            m = self.momentum
            mean = m * mean + (1 - m) * elites.mean(1)
            elite_std = elites.std(1) if K > 1 else torch.zeros_like(mean)
            std = torch.maximum(m * std + (1 - m) * elite_std, min_std)
            kept = elites[:, : int(self.keep_elites * K)]
            best[it] = elite_costs[:, 0]
        # The best sample ever seen beats a mean that momentum may still be dragging along.
        return elites[:, 0].clamp(low, high), best
