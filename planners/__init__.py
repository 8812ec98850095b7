"""Planners over a world model's latent rollouts, and the MPC policy that runs them.

    from worldjepa.planners import make_planner, MPCPolicy, goal_cost

Names are resolved lazily so that ``import worldjepa.planners`` does not import torch.
"""

from __future__ import annotations

from worldjepa.lazy import lazy_exports

_EXPORTS = {
    "PLANNERS": "base",
    "Planner": "base",
    "make_planner": "base",
    "CEM": "cem",
    "goal_cost": "costs",
    "MPCPolicy": "mpc",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
