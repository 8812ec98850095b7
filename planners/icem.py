"""iCEM (Pinneri et al., 2020): CEM with temporally coloured noise, a shrinking population,
elites carried over between iterations, and momentum on the sampling distribution.

Coloured noise (power ~ 1/f^beta along the horizon) proposes smooth action sequences, which
reach further per sample than white noise; carried-over elites are never lost to bad draws.
"""

from __future__ import annotations

import torch
from torch import Tensor

from worldjepa.planners.base import CostFn
from worldjepa.planners.config import ICEMConfig
from worldjepa.planners.sampling import SamplingPlanner, colored_noise


class ICEM(SamplingPlanner):
    """ICEM(config=None, *, seed, device, **overrides): settings in ``ICEMConfig``.

    Iteration i samples max(2 * num_elites, num_samples * population_decay**-i) candidates
    (the mean and ``keep_elites`` x num_elites of the previous elites included); mean and
    std move ``1 - momentum`` of the way to the elites'. Stds are fractions of the half-range.
    """

    Config = ICEMConfig

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
