"""Planner interface and registry.

A planner minimises ``cost_fn`` over action sequences for B problems at once:

    cost_fn(actions: (B, S, H, A) float) -> cost: (B, S) float

where S is however many candidates the planner evaluates per call (sampling planners) or 1
(gradient planners). For world-model MPC, A is one action *block* (fs*A env actions).
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Callable
from typing import Protocol, runtime_checkable

from torch import Tensor

from worldjepa.errors import ConfigError
from worldjepa.planners.config import PLANNER_CONFIGS, PlannerConfig

CostFn = Callable[[Tensor], Tensor]
Bounds = tuple[Tensor, Tensor]


@runtime_checkable
class Planner(Protocol):
    def plan(self, cost_fn: CostFn, init: Tensor, bounds: Bounds) -> Tensor:
        """cost_fn: (B, S, H, A) -> (B, S); init: (B, H, A) warm start;
        bounds: (low (A,), high (A,)) -> best actions (B, H, A) within bounds."""
        ...


def configure(config_cls: type, config: PlannerConfig | None, overrides: dict) -> PlannerConfig:
    """``config`` (default: ``config_cls()``) with ``overrides`` applied, validated."""
    from worldjepa.config.fields import validate

    cfg = config if config is not None else config_cls()
    known = {f.name for f in dataclasses.fields(cfg)}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise ConfigError(
            f"planner {cfg.name} has no setting '{unknown[0]}'; it has: {', '.join(sorted(known))}"
        )
    cfg = dataclasses.replace(cfg, **overrides)
    validate(cfg, "planner.")
    return cfg


def planner_class(config: PlannerConfig) -> type:
    module, attr = type(config).target.split(":")
    return getattr(importlib.import_module(module), attr)


def make_planner(
    planner: str | PlannerConfig = "cem", *, seed: int = 0, device="cpu", **overrides
) -> Planner:
    """A registered planner from its name or config: ``make_planner("cem", num_samples=128)``,
    ``make_planner(MPPIConfig(), seed=1)``. An unknown name raises a ConfigError listing them."""
    config = PLANNER_CONFIGS.get(planner)() if isinstance(planner, str) else planner
    return planner_class(config)(config, seed=seed, device=device, **overrides)
