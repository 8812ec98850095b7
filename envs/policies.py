"""Data-collection policies: act on ONE env with numpy, each from its own seeded generator.

    policy = make_policy("expert", env, seed=0)   # "expert" = the env's own scripted expert
    obs, info = env.reset(seed=0); policy.reset(obs, info)
    action = policy(obs, info)            # (A,) float32 in the action space

The registry, the random policy and the noise the experts share live here; each env's expert
lives beside it (``tworoom_expert.py``, ...). Pure numpy: no MuJoCo import (experts read the
geometry they need from ``info["factors"]``).
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from worldjepa.registry import Registry


class Policy(Protocol):
    def reset(self, obs: dict, info: dict) -> None: ...

    def __call__(self, obs: dict, info: dict) -> np.ndarray:
        """obs, info of the current step -> action (A,) float32."""
        ...


POLICIES: Registry[type] = Registry("policy")


def make_policy(name: str, env, seed: int, **kwargs) -> Policy:
    """Build a registered policy for ``env`` (wrapped or not); kwargs go to its constructor.

    ``"expert"`` names the env's own scripted expert (its ``EnvSpec.expert``)."""
    if name == "expert":
        from worldjepa.envs import expert_policy_name

        name = expert_policy_name(env)
    return POLICIES.get(name)(env, seed=seed, **kwargs)


@POLICIES.register("random")
class RandomPolicy:
    """Uniform actions in the env's Box action space."""

    def __init__(self, env, seed: int):
        self.low = np.asarray(env.action_space.low, dtype=np.float64)
        self.high = np.asarray(env.action_space.high, dtype=np.float64)
        self.rng = np.random.default_rng(seed)

    def reset(self, obs: dict, info: dict) -> None:
        pass

    def __call__(self, obs: dict, info: dict) -> np.ndarray:
        return self.rng.uniform(self.low, self.high).astype(np.float32)


class GoalTracker:
    """The target a scripted expert chases: the env's goal, until the expert picks its own
    (after reaching it, so recordings keep moving), or the env's goal changes (``set_goal``)."""

    def __init__(self, dim: int):
        self.env_goal = np.zeros(dim)
        self.target = np.zeros(dim)

    def reset(self, info: dict) -> None:
        self.env_goal = np.asarray(info["goal"], dtype=np.float64).copy()
        self.target = self.env_goal.copy()

    def update(self, info: dict) -> bool:
        """Follow a changed env goal; True if it changed."""
        goal = np.asarray(info["goal"], dtype=np.float64)
        if np.array_equal(goal, self.env_goal):
            return False
        self.env_goal, self.target = goal.copy(), goal.copy()
        return True


class ARNoise:
    """AR(1) (discrete Ornstein-Uhlenbeck) noise of stationary std ``scale`` and per-step
    correlation ``corr``: scripted experts wander smoothly rather than jitter."""

    def __init__(self, rng: np.random.Generator, dim: int, scale: float, corr: float):
        if not 0.0 <= corr < 1.0:
            raise ValueError(f"noise_corr must be in [0, 1), got {corr}")
        self.rng, self.dim, self.scale, self.corr = rng, dim, scale, corr
        self.value = np.zeros(dim)

    def reset(self) -> None:
        self.value = self.rng.normal(0.0, self.scale, self.dim)

    def __call__(self) -> np.ndarray:
        rho = self.corr
        self.value = rho * self.value + np.sqrt(1 - rho**2) * self.rng.normal(0.0, self.scale, self.dim)
        return self.value


# Each env's scripted expert registers itself on import (pure numpy, cheap).
from worldjepa.envs import cube_expert, pusht_expert, reacher_expert, tworoom_expert  # noqa: E402, F401
