"""Gradient planning: Adam on the action sequence through the differentiable cost (the world
model's rollout), from several starts at once, projected onto the bounds after every step;
and a hybrid that refines CEM's best candidates that way.
"""

from __future__ import annotations

import torch
from torch import Tensor

from worldjepa.planners.base import PLANNERS, Bounds, CostFn
from worldjepa.planners.cem import CEM
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


@PLANNERS.register("grad")
class GradientPlanner(SamplingPlanner):
    """GradientPlanner(num_iters, lr, num_restarts, init_std, seed, device).

    Restart 0 starts at the warm start; the others at the warm start plus Gaussian noise of
    ``init_std`` half-ranges (seeded like the sampling planners). The cost must be
    differentiable in the actions.
    """

    def __init__(
        self,
        num_iters: int = 30,
        lr: float = 0.1,
        num_restarts: int = 4,
        init_std: float = 0.5,
        seed: int = 0,
        device: str | torch.device = "cpu",
    ):
        super().__init__(num_iters, seed, device)
        if num_restarts < 1 or lr <= 0:
            raise ValueError(f"need num_restarts >= 1 and lr > 0; got {num_restarts}, {lr}")
        self.lr, self.num_restarts, self.init_std = lr, num_restarts, init_std

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


@PLANNERS.register("cem_grad")
class CEMGrad(SamplingPlanner):
    """CEM, then Adam refinement of its mean and ``num_refine - 1`` best final elites.

    CEMGrad(num_samples, num_iters, num_elites, grad_iters, num_refine, lr, init_std, min_std, seed, device).
    """

    def __init__(
        self,
        num_samples: int = 300,
        num_iters: int = 30,
        num_elites: int = 30,
        grad_iters: int = 10,
        num_refine: int = 4,
        lr: float = 0.05,
        init_std: float = 1.0,
        min_std: float = 0.02,
        seed: int = 0,
        device: str | torch.device = "cpu",
    ):
        super().__init__(num_iters, seed, device)
        if not 1 <= num_refine <= num_elites + 1:
            raise ValueError(f"num_refine ({num_refine}) must be in [1, num_elites + 1 = {num_elites + 1}]")
        self.cem = CEM(num_samples, num_iters, num_elites, init_std, min_std, seed, device)
        self.grad_iters, self.num_refine, self.lr = grad_iters, num_refine, lr

    def plan(
        self, cost_fn: CostFn, init: Tensor, bounds: Bounds, generator: Generators | None = None
    ) -> Tensor:
        generator, low, high = self.begin(generator, bounds)
        mean = self.cem.plan(cost_fn, init, bounds, generator)
        starts = torch.cat([mean[:, None], self.cem.last_elites[:, : self.num_refine - 1]], 1)
        plan, grad_costs = refine(cost_fn, starts, low, high, self.grad_iters, self.lr)
        self.last_costs = torch.cat([self.cem.last_costs, grad_costs])
        return plan
