"""What every sampling planner shares: seeding, per-problem noise streams, bounds, bookkeeping.

A planner built on ``SamplingPlanner`` implements ``_plan(cost_fn, init, low, high, generator)``
-> (plan (B, H, A), best sampled cost per iteration (num_iters, B)); ``plan`` handles the rest.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import ClassVar

import torch
from torch import Tensor

from worldjepa.planners.base import Bounds, CostFn, configure
from worldjepa.planners.config import PlannerConfig

Generators = torch.Generator | Sequence[torch.Generator]


class SamplingPlanner:
    """Base of every built-in planner: ``plan(cost_fn, init, bounds, generator=None)``.

    ``Planner(config=None, *, seed=0, device="cpu", **overrides)``: the settings are the class's
    ``Config`` dataclass (``worldjepa.planners.config``, the defaults ``worldjepa eval`` uses),
    with ``overrides`` applied and validated; each setting is also an attribute.

    Without ``generator``, a fresh one is seeded from ``seed + number of previous calls``:
    deterministic for a given seed, yet not the same noise at every MPC step. A list of B
    generators gives every problem its own stream, so a problem's plan does not depend on
    which others share the batch.
    """

    Config: ClassVar[type[PlannerConfig]]

    def __init__(
        self, config: PlannerConfig | None = None, *, seed: int = 0, device: str | torch.device = "cpu",
        **overrides,
    ):  # fmt: skip
        self.cfg = configure(self.Config, config, overrides)
        for f in dataclasses.fields(self.cfg):
            setattr(self, f.name, getattr(self.cfg, f.name))
        self.seed = seed
        self.device = torch.device(device)
        self.num_calls = 0
        self.last_costs: Tensor | None = None  # (num_iters, B): best sampled cost per iteration

    def noise(self, shape: tuple[int, ...], generator: Generators) -> Tensor:
        """-> (B, ...) standard normal, from one generator or one per problem."""
        if isinstance(generator, torch.Generator):
            return torch.randn(shape, generator=generator, device=generator.device).to(self.device)
        if len(generator) != shape[0]:
            raise ValueError(f"got {len(generator)} generators for a batch of {shape[0]} problems")
        return torch.stack(
            [torch.randn(shape[1:], generator=g, device=g.device).to(self.device) for g in generator]
        )

    def plan(
        self, cost_fn: CostFn, init: Tensor, bounds: Bounds, generator: Generators | None = None
    ) -> Tensor:
        """cost_fn: (B, S, H, A) -> (B, S); init: (B, H, A) warm start; bounds: (low (A,),
        high (A,)) -> plan (B, H, A) within the bounds."""
        generator, low, high = self.begin(generator, bounds)
        with torch.inference_mode():
            plan, best = self._plan(
                cost_fn, init.to(self.device, torch.float32).clamp(low, high), low, high, generator
            )
        # Clones made outside inference mode are normal tensors (usable by autograd later).
        self.last_costs = best.clone()
        return plan.clone()

    def begin(self, generator: Generators | None, bounds: Bounds) -> tuple[Generators, Tensor, Tensor]:
        """Start a call: -> (this call's generator(s), low (A,), high (A,) on the device)."""
        if generator is None:
            generator = torch.Generator(self.device).manual_seed(self.seed + self.num_calls)
        self.num_calls += 1
        low, high = (torch.as_tensor(b, dtype=torch.float32, device=self.device) for b in bounds)
        return generator, low, high

    def _plan(
        self, cost_fn: CostFn, init: Tensor, low: Tensor, high: Tensor, generator
    ) -> tuple[Tensor, Tensor]:
        raise NotImplementedError


def colored_noise(white: Tensor, beta: float) -> Tensor:
    """white: (..., H, A) standard normal -> (..., H, A) standard normal per entry, correlated
    along H with power spectrum ~ 1/f^beta (0: white, 2: smooth "red" noise; iCEM uses ~2-3).

    A fixed filter of white noise (not fresh noise), so per-problem generators stay per-problem.
    """
    H = white.shape[-2]
    if beta == 0 or H == 1:
        return white
    freqs = torch.fft.rfftfreq(H, device=white.device)
    freqs[0] = freqs[1]  # the DC term gets the lowest frequency's gain, not infinity
    gain = freqs.pow(-beta / 2)
    out = torch.fft.irfft(torch.fft.rfft(white, dim=-2) * gain[:, None], n=H, dim=-2)
    # The filter is a circular convolution with kernel k = irfft(gain); var(out) = sum(k^2).
    return out / torch.fft.irfft(gain, n=H).pow(2).sum().sqrt()
