"""Cross-entropy method, batched over environments.

Each iteration samples S action sequences per problem around a diagonal Gaussian, scores all
B*S of them in ONE cost_fn call (one batched world-model rollout instead of B sequential
solves), and refits mean/std to the ``num_elites`` cheapest.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from worldjepa.planners.base import PLANNERS, Bounds, CostFn


@PLANNERS.register("cem")
class CEM:
    """CEM(num_samples, num_iters, num_elites, init_std, min_std, seed, device).

    ``init_std`` and ``min_std`` are fractions of the action half-range (high - low) / 2, so
    one setting works whatever the action units. ``min_std`` keeps the search from freezing
    on a premature elite set. The current mean is always one of the samples, so the best
    cost never gets worse than the warm start's.
    """

    def __init__(
        self,
        num_samples: int = 300,
        num_iters: int = 30,
        num_elites: int = 30,
        init_std: float = 1.0,
        min_std: float = 0.02,
        seed: int = 0,
        device: str | torch.device = "cpu",
    ):
        if not 1 <= num_elites <= num_samples:
            raise ValueError(f"num_elites ({num_elites}) must be in [1, num_samples={num_samples}]")
        self.num_samples, self.num_iters, self.num_elites = num_samples, num_iters, num_elites
        self.init_std, self.min_std = init_std, min_std
        self.seed = seed
        self.device = torch.device(device)
        self.num_calls = 0
        self.last_costs: Tensor | None = None  # (num_iters, B): best sampled cost per iteration

    def _noise(
        self, shape: tuple[int, ...], generator: torch.Generator | Sequence[torch.Generator]
    ) -> Tensor:
        """-> (B, S-1, H, A) standard normal. A list of generators gives every problem its own
        stream, so a problem's plan does not depend on which others share the batch."""
        if isinstance(generator, torch.Generator):
            return torch.randn(shape, generator=generator, device=generator.device).to(self.device)
        if len(generator) != shape[0]:
            raise ValueError(f"got {len(generator)} generators for a batch of {shape[0]} problems")
        return torch.stack(
            [torch.randn(shape[1:], generator=g, device=g.device).to(self.device) for g in generator]
        )

    def plan(
        self,
        cost_fn: CostFn,
        init: Tensor,
        bounds: Bounds,
        generator: torch.Generator | Sequence[torch.Generator] | None = None,
    ) -> Tensor:
        """cost_fn: (B, S, H, A) -> (B, S); init: (B, H, A) warm start; bounds: (low (A,),
        high (A,)) -> final CEM mean (B, H, A), clamped to the bounds.

        Without ``generator``, a fresh one is seeded from ``seed + number of previous calls``:
        deterministic for a given seed, yet not the same noise at every MPC step.
        """
        if generator is None:
            generator = torch.Generator(self.device).manual_seed(self.seed + self.num_calls)
        self.num_calls += 1
        plan, best = self._plan(cost_fn, init, bounds, generator)
        # Clones made outside inference mode are normal tensors (usable by autograd later).
        self.last_costs = best.clone()
        return plan.clone()

    @torch.inference_mode()
    def _plan(self, cost_fn: CostFn, init: Tensor, bounds: Bounds, generator) -> tuple[Tensor, Tensor]:
        """-> (final mean (B, H, A), best sampled cost per iteration (num_iters, B))."""
        low, high = (torch.as_tensor(b, dtype=torch.float32, device=self.device) for b in bounds)
        B, H, A = init.shape
        S, K = self.num_samples, self.num_elites
        half_range = (high - low) / 2  # (A,)
        mean = init.to(self.device, torch.float32).clamp(low, high)  # (B, H, A)
        std = (self.init_std * half_range).expand(B, H, A)
        min_std = self.min_std * half_range
        best = torch.empty(self.num_iters, B, device=self.device)
        for it in range(self.num_iters):
            candidates = mean[:, None] + std[:, None] * self._noise((B, S - 1, H, A), generator)
            samples = torch.cat([mean[:, None], candidates], dim=1).clamp(low, high)  # (B, S, H, A)
            costs = cost_fn(samples)  # (B, S)
            elite_costs, elite_idx = costs.topk(K, dim=1, largest=False)  # (B, K)
            elites = torch.take_along_dim(samples, elite_idx[:, :, None, None], dim=1)  # (B, K, H, A)
            mean = elites.mean(1)
            std = torch.maximum(elites.std(1), min_std) if K > 1 else min_std.expand(B, H, A)
            best[it] = elite_costs[:, 0]
        return mean.clamp(low, high), best
