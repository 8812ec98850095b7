"""Shared by the env tests: how often a policy reaches the env's goal."""

import numpy as np

from worldjepa.envs.policies import make_policy


def success_rate(env, policy_name: str, seeds, steps: int, options=None) -> float:
    """Fraction of episodes (one per seed) where ``policy_name`` reaches the goal within ``steps``."""
    hits = []
    for seed in seeds:
        obs, info = env.reset(seed=seed, options=options)
        policy = make_policy(policy_name, env, seed=seed + 100)
        policy.reset(obs, info)
        reached = False
        for _ in range(steps):
            obs, _, _, _, info = env.step(policy(obs, info))
            reached |= info["is_success"]
        hits.append(reached)
    return float(np.mean(hits))
