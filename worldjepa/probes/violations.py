"""Violations of physics injected into a running env, for the surprise test.

Each entry of ``VIOLATIONS`` is ``fn(env, rng, overrides) -> (observation, description)``: it
changes the unwrapped MuJoCo env in place through its own ``intervene`` (the simulator makes
the event; no pixel is edited) and returns the observation right after it.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from worldjepa.errors import ConfigError
from worldjepa.registry import Registry

Violation = Callable[..., tuple[dict, str]]
VIOLATIONS: Registry[Violation] = Registry("violation")


def _ood_changes(env, rng: np.random.Generator, keep: Callable, what: str, overrides: dict | None) -> dict:
    """{name: value}: ``overrides`` if given, else every factor ``keep`` selects, drawn from its
    OOD range (never compiled factors: they cannot change mid-episode)."""
    if overrides:
        return dict(overrides)
    changes = {
        f.name: f.sample(rng, "ood")
        for f in env.FACTORS
        if keep(f) and f.name not in env.COMPILED_FACTORS
    }  # fmt: skip
    if not changes:
        raise ConfigError(f"{type(env).__name__} has no {what} factor that can change mid-episode")
    return changes


def _describe(changes: dict) -> str:
    fmt = lambda v: f"{v:.3g}" if np.isscalar(v) else "(" + ", ".join(f"{x:.2f}" for x in v) + ")"  # noqa: E731
    return ", ".join(f"{k}={fmt(v)}" for k, v in changes.items())


@VIOLATIONS.register("teleport")
def teleport(env, rng: np.random.Generator, overrides: dict | None = None) -> tuple[dict, str]:
    """Every body jumps to a freshly drawn valid pose (``env.teleport_state``)."""
    state = env.teleport_state(rng)
    return env.intervene(state=state), f"teleport to state {np.round(state, 2).tolist()}"


@VIOLATIONS.register("color")
def color_change(env, rng: np.random.Generator, overrides: dict | None = None) -> tuple[dict, str]:
    """Every colour factor switches to a draw from its OOD range."""
    changes = _ood_changes(env, rng, lambda f: f.kind == "visual" and "color" in f.name, "colour", overrides)
    return env.intervene(factors=changes), f"colours: {_describe(changes)}"


@VIOLATIONS.register("physics")
def physics_change(env, rng: np.random.Generator, overrides: dict | None = None) -> tuple[dict, str]:
    """Every physical factor (mass, friction, damping...) switches to a draw from its OOD range."""
    changes = _ood_changes(env, rng, lambda f: f.kind == "physical", "physical", overrides)
    return env.intervene(factors=changes), f"physics: {_describe(changes)}"
