"""Latent goal-reaching costs for planning."""

from __future__ import annotations

from collections.abc import Callable

from torch import Tensor

from worldjepa.registry import Registry

# mode -> reducer of the per-step squared distances (B, S, H) to a cost (B, S)
COST_MODES: Registry[Callable[[Tensor], Tensor]] = Registry("cost mode")
COST_MODES.register("terminal")(lambda d2: d2[..., -1])  # LeWM: only where the plan ends matters
COST_MODES.register("sum")(lambda d2: d2.mean(-1))  # every step, averaged over the horizon


def goal_cost(z_pred: Tensor, z_goal: Tensor, mode: str = "terminal") -> Tensor:
    """z_pred: (B, S, H, D) imagined latents, z_goal: (B, D) -> squared L2 cost (B, S).

    ``terminal``: ‖ẑ_H − z_goal‖²; ``sum``: mean over h of ‖ẑ_h − z_goal‖²."""
    d2 = (z_pred - z_goal[:, None, None]).pow(2).sum(-1)  # (B, S, H)
    return COST_MODES.get(mode)(d2)
