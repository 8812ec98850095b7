"""MPPI (model-predictive path integral): the plan is the cost-weighted average of samples.

Weights are softmax(-(cost - min) / (temperature * spread)) with spread the samples' cost
standard deviation, so one temperature works whatever the scale of latent distances.
"""

from __future__ import annotations

import torch
from torch import Tensor

from worldjepa.planners.base import CostFn
from worldjepa.planners.config import MPPIConfig
from worldjepa.planners.sampling import SamplingPlanner, colored_noise


class MPPI(SamplingPlanner):
    """MPPI(config=None, *, seed, device, **overrides): settings in ``MPPIConfig``.

    ``noise_std`` is a fraction of the action half-range; it shrinks by ``std_decay`` per
    iteration. The current mean is one of the samples.
    """

    Config = MPPIConfig

    def _plan(
        self, cost_fn: CostFn, init: Tensor, low: Tensor, high: Tensor, generator
    ) -> tuple[Tensor, Tensor]:
        B, H, A = init.shape
        S = self.num_samples
        std = self.noise_std * (high - low) / 2  # (A,)
        mean = init
        best = torch.empty(self.num_iters, B, device=self.device)
        for it in range(self.num_iters):
            noise = colored_noise(self.noise((B, S - 1, H, A), generator), self.noise_beta)
            samples = torch.cat([mean[:, None], mean[:, None] + std * noise], dim=1).clamp(low, high)
            costs = cost_fn(samples)  # (B, S)
            spread = costs.std(1, keepdim=True).clamp_min(1e-8)
            weights = torch.softmax(
                -(costs - costs.min(1, keepdim=True).values) / (self.temperature * spread), 1
            )
            mean = (weights[:, :, None, None] * samples).sum(1)
            std = std * self.std_decay
            best[it] = costs.min(1).values
        return mean.clamp(low, high), best
