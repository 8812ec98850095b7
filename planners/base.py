"""Planner interface and registry.

A planner minimises ``cost_fn`` over action sequences for B problems at once:

    cost_fn(actions: (B, S, H, A) float) -> cost: (B, S) float

where S is however many candidates the planner evaluates per call (sampling planners) or 1
(gradient planners). For world-model MPC, A is one action *block* (fs*A env actions).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Protocol, runtime_checkable

from torch import Tensor

from worldjepa.registry import Registry

CostFn = Callable[[Tensor], Tensor]
Bounds = tuple[Tensor, Tensor]

PLANNERS: Registry[type] = Registry("planner")

# Modules whose import registers a planner; imported on first lookup so that importing the
# base interface stays cheap and the registry is complete whatever the caller imported.
_BUILTIN_MODULES = ("cem", "icem", "mppi", "gradient")


@runtime_checkable
class Planner(Protocol):
    def plan(self, cost_fn: CostFn, init: Tensor, bounds: Bounds) -> Tensor:
        """cost_fn: (B, S, H, A) -> (B, S); init: (B, H, A) warm start;
        bounds: (low (A,), high (A,)) -> best actions (B, H, A) within bounds."""
        ...


def _register_builtins() -> None:
    for name in _BUILTIN_MODULES:
        importlib.import_module(f"worldjepa.planners.{name}")


def make_planner(name: str, **kwargs) -> Planner:
    """Instantiate a registered planner: ``make_planner("cem", num_samples=128)``.

    Raises ValueError naming the available planners when ``name`` is unknown."""
    _register_builtins()
    return PLANNERS.get(name)(**kwargs)
