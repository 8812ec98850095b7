"""Policies the evaluator compares: the planner (MPC over the world model) and baselines.

All share the batched interface of ``run_episodes``: ``reset(goal_pixels (B,H,W,3))`` and
``act(pixels (B,H,W,3)) -> actions (B,A)``.
"""

from __future__ import annotations

import numpy as np

from worldjepa.registry import Registry

EVAL_POLICIES: Registry = Registry("eval policy")


@EVAL_POLICIES.register("random")
class RandomPolicy:
    """Uniform actions within the bounds, from its own seeded generator."""

    def __init__(self, low, high, seed: int, **_):
        self.low, self.high = np.asarray(low, np.float32), np.asarray(high, np.float32)
        self.rng = np.random.default_rng(seed)

    def reset(self, goal_pixels):
        self.n = len(goal_pixels)

    def act(self, pixels):
        return self.rng.uniform(self.low, self.high, size=(len(pixels), len(self.low))).astype(np.float32)


@EVAL_POLICIES.register("noop")
class NoopPolicy:
    """Zero action: shows how often the goal is reached by drifting (a too-easy task scores high)."""

    def __init__(self, low, high, **_):
        self.dim = len(low)

    def reset(self, goal_pixels):
        pass

    def act(self, pixels):
        return np.zeros((len(pixels), self.dim), np.float32)


@EVAL_POLICIES.register("expert")
class ExpertPolicy:
    """The env's scripted expert, reading the true state (privileged: not a pixel policy). Its
    success is the ceiling of a task set: what is reachable within the budget at all."""

    def __init__(self, envs, seed: int, **_):
        self.envs, self.seed = envs, seed

    def reset(self, goal_pixels):
        from worldjepa.envs.policies import make_policy

        self.experts = [make_policy("expert", env, seed=self.seed + i) for i, env in enumerate(self.envs)]
        for env, expert in zip(self.envs, self.experts, strict=True):
            expert.reset({}, env.unwrapped.current_info())

    def act(self, pixels):
        return np.stack([
            expert({"pixels": px}, env.unwrapped.current_info())
            for env, expert, px in zip(self.envs, self.experts, pixels, strict=True)
        ]).astype(np.float32)  # fmt: skip


@EVAL_POLICIES.register("mpc")
def mpc_policy(model, preprocess: dict, mpc, seed: int, device, **_):
    """Receding-horizon planning in latent space with the checkpoint's model (``mpc``: an MPCConfig)."""
    from worldjepa.planners import MPCPolicy

    return MPCPolicy.for_checkpoint(model, preprocess, mpc, seed=seed, device=device)
