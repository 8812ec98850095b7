"""Cross-entropy method, batched over environments.

Each iteration samples S action sequences per problem around a diagonal Gaussian, scores all
B*S of them in ONE cost_fn call (one batched world-model rollout instead of B sequential
solves), and refits mean/std to the ``num_elites`` cheapest.
"""

from __future__ import annotations

import torch
from torch import Tensor

from worldjepa.planners.base import CostFn
from worldjepa.planners.config import CEMConfig
from worldjepa.planners.sampling import SamplingPlanner


class CEM(SamplingPlanner):
    """CEM(config=None, *, seed, device, **overrides): settings in ``CEMConfig``.

    ``init_std`` and ``min_std`` are fractions of the action half-range (high - low) / 2, so
    one setting works whatever the action units. ``min_std`` keeps the search from freezing
    on a premature elite set. The current mean is always one of the samples, so the best
    cost never gets worse than the warm start's.
    """

    Config = CEMConfig

    def __init__(self, config: CEMConfig | None = None, **kwargs):
        super().__init__(config, **kwargs)
        self.last_elites: Tensor | None = None  # (B, K, H, A): the final iteration's elites, best first

    def _plan(
        self, cost_fn: CostFn, init: Tensor, low: Tensor, high: Tensor, generator
    ) -> tuple[Tensor, Tensor]:
        """-> (final mean (B, H, A), best sampled cost per iteration (num_iters, B))."""
        B, H, A = init.shape
        S, K = self.num_samples, self.num_elites
        half_range = (high - low) / 2  # (A,)
        mean = init
        std = (self.init_std * half_range).expand(B, H, A)
        min_std = self.min_std * half_range
        best = torch.empty(self.num_iters, B, device=self.device)
        for it in range(self.num_iters):
            candidates = mean[:, None] + std[:, None] * self.noise((B, S - 1, H, A), generator)
            samples = torch.cat([mean[:, None], candidates], dim=1).clamp(low, high)  # (B, S, H, A)
            costs = cost_fn(samples)  # (B, S)
            elite_costs, elite_idx = costs.topk(K, dim=1, largest=False)  # (B, K)
            elites = torch.take_along_dim(samples, elite_idx[:, :, None, None], dim=1)  # (B, K, H, A)
            mean = elites.mean(1)
            std = torch.maximum(elites.std(1), min_std) if K > 1 else min_std.expand(B, H, A)
            best[it] = elite_costs[:, 0]
        self.last_elites = elites.clone()
        return mean.clamp(low, high), best
