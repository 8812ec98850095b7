"""Run a batch of policies-on-envs in lockstep and record what happened, episode by episode."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np


@dataclass
class EpisodeResult:
    episode_idx: int
    start_step: int
    success: bool
    steps_to_success: int | None
    final_distance: float | None
    frames: list = field(default_factory=list, repr=False)  # (H, W, 3) uint8 per step, if recorded

    def to_json(self) -> dict:
        return {
            "episode_idx": self.episode_idx,
            "start_step": self.start_step,
            "success": self.success,
            "steps_to_success": self.steps_to_success,
            "final_distance": self.final_distance,
        }


def run_episodes(envs, tasks, policy, budget: int, record_frames: bool = False, progress=None):
    """Step ``len(tasks)`` envs together for ``budget`` steps under ``policy``.

    policy: has ``reset(goal_pixels (B,H,W,3) uint8)`` and ``act(pixels (B,H,W,3) uint8) -> (B,A)``.
    Success is the env's own ``info["is_success"]`` at any step; every episode is counted.
    Returns (list[EpisodeResult], seconds spent inside policy.act).
    """
    obs = [env.reset(options=t.reset_options(env))[0] for env, t in zip(envs, tasks, strict=True)]
    policy.reset(np.stack([t.goal_pixels for t in tasks]))
    n = len(tasks)
    success_at: list[int | None] = [None] * n
    distance: list[float | None] = [None] * n
    frames: list[list] = [[o["pixels"]] if record_frames else [] for o in obs]
    act_time = 0.0
    for step in range(budget):
        pixels = np.stack([o["pixels"] for o in obs])
        t0 = time.perf_counter()
        actions = policy.act(pixels)
        act_time += time.perf_counter() - t0
        for i, env in enumerate(envs):
            obs[i], _, _, _, info = env.step(actions[i])
            if info["is_success"] and success_at[i] is None:
                success_at[i] = step + 1
            distance[i] = float(info["distance"]) if "distance" in info else None
            if record_frames:
                frames[i].append(obs[i]["pixels"])
        if progress is not None:
            progress.update(1)
    results = [
        EpisodeResult(
            t.episode_idx, t.start_step, success_at[i] is not None, success_at[i], distance[i], frames[i]
        )
        for i, t in enumerate(tasks)
    ]
    return results, act_time
