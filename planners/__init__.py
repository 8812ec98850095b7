"""Planners over a world model's latent rollouts, and the MPC policy that runs them.

    from worldjepa.planners import make_planner, MPCPolicy, goal_cost
    policy = MPCPolicy.for_checkpoint(model, preprocess)   # worldjepa eval's defaults

Settings are dataclasses in ``worldjepa.planners.config`` (``CEMConfig``, ``MPCConfig``, ...): one
place holds the defaults that ``worldjepa eval``, the planner classes and ``MPCPolicy`` share.

Names are resolved lazily so that ``import worldjepa.planners`` does not import torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from worldjepa.lazy import lazy_exports

if TYPE_CHECKING:  # real imports for IDEs and type checkers; at run time names resolve lazily
    from worldjepa.planners.base import Planner, make_planner  # noqa: F401
    from worldjepa.planners.cem import CEM  # noqa: F401
    from worldjepa.planners.config import (  # noqa: F401
        PLANNER_CONFIGS,
        CEMConfig,
        CEMGradConfig,
        GradientConfig,
        ICEMConfig,
        MPCConfig,
        MPPIConfig,
        PlannerConfig,
        planner_config,
    )
    from worldjepa.planners.costs import goal_cost  # noqa: F401
    from worldjepa.planners.gradient import CEMGrad, GradientPlanner  # noqa: F401
    from worldjepa.planners.icem import ICEM  # noqa: F401
    from worldjepa.planners.mpc import MPCPolicy  # noqa: F401
    from worldjepa.planners.mppi import MPPI  # noqa: F401

_EXPORTS = {
    "Planner": "base",
    "make_planner": "base",
    "CEM": "cem",
    "ICEM": "icem",
    "MPPI": "mppi",
    "GradientPlanner": "gradient",
    "CEMGrad": "gradient",
    "PLANNER_CONFIGS": "config",
    "PlannerConfig": "config",
    "CEMConfig": "config",
    "ICEMConfig": "config",
    "MPPIConfig": "config",
    "GradientConfig": "config",
    "CEMGradConfig": "config",
    "MPCConfig": "config",
    "planner_config": "config",
    "goal_cost": "costs",
    "MPCPolicy": "mpc",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
