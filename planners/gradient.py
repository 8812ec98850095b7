"""Gradient planning: Adam on the action sequence through the differentiable cost (the world
model's rollout), from several starts at once, projected onto the bounds after every step;
and a hybrid that refines CEM's best candidates that way.
"""

from __future__ import annotations

import torch
from torch import Tensor

from worldjepa.planners.base import Bounds, CostFn
from worldjepa.planners.cem import CEM
from worldjepa.planners.config import CEMConfig, CEMGradConfig, GradientConfig
from worldjepa.planners.sampling import Generators, SamplingPlanner


def refine(
    cost_fn: CostFn, starts: Tensor, low: Tensor, high: Tensor, num_iters: int, lr: float
) -> tuple[Tensor, Tensor]:
    """starts: (B, R, H, A) within bounds -> (best plan (B, H, A), best cost per iteration (num_iters + 1, B)).

    Adam runs in units of the half-range (``lr`` is a fraction of it); every iterate is scored,
    and the best one seen (the starts included) is returned, so refining never makes a plan worse.
    Gradients are taken w.r.t. the actions only: the model's weights get none.
    """
    center, half = (high + low) / 2, (high - low) / 2
    B = starts.shape[0]
    best_cost = torch.full((B,), float("inf"), device=starts.device)
    best_plan = starts[:, 0].clone()
    history = torch.empty(num_iters + 1, B, device=starts.device)
    with torch.inference_mode(False), torch.enable_grad():
        u = ((starts - center) / half).clone().requires_grad_(True)
        opt = torch.optim.Adam([u], lr=lr)
        for it in range(num_iters + 1):
            actions = center + half * u
            costs = cost_fn(actions)  # (B, R)
            with torch.no_grad():
                c, r = costs.min(1)
                better = c < best_cost
                best_cost = torch.where(better, c, best_cost)
                pick = torch.take_along_dim(actions, r[:, None, None, None], dim=1)[:, 0]
                best_plan = torch.where(better[:, None, None], pick, best_plan)
                history[it] = best_cost
            if it == num_iters:
                break
            # The sum's gradient w.r.t. each problem's actions is that problem's own gradient.
            (grad,) = torch.autograd.grad(costs.sum(), u)
            u.grad = grad
            opt.step()
            with torch.no_grad():
                u.clamp_(-1, 1)
    return best_plan.detach(), history


class GradientPlanner(SamplingPlanner):
    """GradientPlanner(config=None, *, seed, device, **overrides): settings in ``GradientConfig``.

    Restart 0 starts at the warm start; the others at the warm start plus Gaussian noise of
    ``init_std`` half-ranges (seeded like the sampling planners). The cost must be
    differentiable in the actions.
    """

    Config = GradientConfig

    def plan(
        self, cost_fn: CostFn, init: Tensor, bounds: Bounds, generator: Generators | None = None
    ) -> Tensor:
        generator, low, high = self.begin(generator, bounds)
        init = init.to(self.device, torch.float32).clamp(low, high)
        B, H, A = init.shape
        noise = self.noise((B, self.num_restarts - 1, H, A), generator) * self.init_std * (high - low) / 2
        starts = torch.cat([init[:, None], init[:, None] + noise], 1).clamp(low, high)
        plan, self.last_costs = refine(cost_fn, starts, low, high, self.num_iters, self.lr)
        return plan


class CEMGrad(SamplingPlanner):
    """CEM, then Adam refinement of its mean and ``num_refine - 1`` best final elites.

    CEMGrad(config=None, *, seed, device, **overrides): settings in ``CEMGradConfig``.
    """

    Config = CEMGradConfig

    def __init__(self, config: CEMGradConfig | None = None, **kwargs):
        super().__init__(config, **kwargs)
        shared = {
            f: getattr(self.cfg, f) for f in ("num_samples", "num_iters", "num_elites", "init_std", "min_std")
        }
        self.cem = CEM(CEMConfig(**shared), seed=self.seed, device=self.device)

    def plan(
        self, cost_fn: CostFn, init: Tensor, bounds: Bounds, generator: Generators | None = None
    ) -> Tensor:
        generator, low, high = self.begin(generator, bounds)
        mean = self.cem.plan(cost_fn, init, bounds, generator)
        starts = torch.cat([mean[:, None], self.cem.last_elites[:, : self.num_refine - 1]], 1)
        plan, grad_costs = refine(cost_fn, starts, low, high, self.grad_iters, self.lr)
        self.last_costs = torch.cat([self.cem.last_costs, grad_costs])
        return plan
