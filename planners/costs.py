"""Latent goal-reaching costs for planning."""

from __future__ import annotations

from collections.abc import Callable

from torch import Tensor

from worldjepa.registry import Registry

# mode -> reducer of the per-step squared distances (B, S, H) to a cost (B, S)
COST_MODES: Registry[Callable[[Tensor], Tensor]] = Registry("cost mode")
COST_MODES.register("terminal")(lambda d2: d2[..., -1])  # LeWM: only where the plan ends matters
COST_MODES.register("sum")(lambda d2: d2.mean(-1))  # every step, averaged over the horizon


def action_penalty(actions: Tensor, low: Tensor, high: Tensor) -> Tensor:
    """actions: (B, S, H, P) within [low, high] (P,) -> (B, S): mean squared action in units of
    the half-range around the centre (0 at the centre, 1 at the bounds)."""
    center, half = (high + low) / 2, (high - low) / 2
    return ((actions - center) / half).pow(2).mean((-1, -2))


def goal_cost(z_pred: Tensor, z_goal: Tensor, mode: str = "terminal") -> Tensor:
    """z_pred: (B, S, H, D) imagined latents, z_goal: (B, D) -> squared L2 cost (B, S).

    ``terminal``: ‖ẑ_H − z_goal‖²; ``sum``: mean over h of ‖ẑ_h − z_goal‖²."""
    d2 = (z_pred - z_goal[:, None, None]).pow(2).sum(-1)  # (B, S, H)
    return COST_MODES.get(mode)(d2)
