"""Record rollouts of an env + scripted policy into a Lance dataset (the ``collect`` command).

Episodes are committed every ``commit_every`` episodes; each commit is one atomic Lance
append, so a crash or Ctrl-C loses at most the episodes not yet committed.
"""

from __future__ import annotations

import logging
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

from worldjepa.errors import ConfigError, DatasetError

log = logging.getLogger(__name__)


@dataclass
class CollectConfig:
    env: str = "worldjepa/TwoRoom-v0"
    image_size: int = 64
    episodes: int = 300
    policy: str = "expert"
    policy_kwargs: dict = field(default_factory=dict)
    factors: str = "default"
    seed: int = 0
    out: str = "data/tworoom"
    commit_every: int = 20
    mode: str = "create"

    def __post_init__(self):
        if self.episodes < 1:
            raise ConfigError(f"episodes must be >= 1, got {self.episodes}")
        if self.mode not in ("create", "append", "overwrite"):
            raise ConfigError(f"mode must be create, append or overwrite, got '{self.mode}'")


def record_episode(env, policy, seed: int):
    """Run one episode to truncation. Returns (arrays dict, realised factors)."""
    import numpy as np

    obs, info = env.reset(seed=seed)
    policy.reset(obs, info)
    pixels, actions, proprio, states, success = [], [], [], [], []
    factors = info["factors"]
    while True:
        action = np.asarray(policy(obs, info), dtype=np.float32)
        pixels.append(obs["pixels"])
        proprio.append(obs["proprio"])
        states.append(info["state"])
        success.append(bool(info["is_success"]))
        actions.append(action)
        obs, _, terminated, truncated, info = env.step(action)
        if terminated or truncated:
            break
    arrays = {
        "pixels": np.stack(pixels),
        "action": np.stack(actions),
        "proprio": np.stack(proprio).astype(np.float32),
        "state": np.stack(states).astype(np.float32),
        "is_success": np.array(success, dtype=bool),
    }
    return arrays, factors


def collect(cfg: CollectConfig) -> Path:
    """Record ``cfg.episodes`` episodes to ``cfg.out``; returns the dataset path."""
    from tqdm import tqdm

    from worldjepa.datasets import DatasetWriter
    from worldjepa.envs import make_env
    from worldjepa.envs.policies import make_policy

    out = Path(cfg.out)
    if cfg.mode == "overwrite" and out.exists():
        if not (out / "steps.lance").exists() and any(out.iterdir()):
            raise DatasetError(f"{out} exists and is not a worldjepa dataset; refusing to delete it")
        shutil.rmtree(out)
    env = make_env(cfg.env, image_size=cfg.image_size, factor_split=cfg.factors)
    unwrapped = env.unwrapped
    writer = DatasetWriter(
        out,
        env_id=cfg.env,
        image_size=(cfg.image_size, cfg.image_size),
        action_low=env.action_space.low.tolist(),
        action_high=env.action_space.high.tolist(),
        state_names=list(unwrapped.state_names),
        proprio_dim=int(env.observation_space["proprio"].shape[0]),
        fps=float(1.0 / unwrapped.dt),
        extra={"policy": cfg.policy, "policy_kwargs": cfg.policy_kwargs, "factor_split": cfg.factors},
        mode="append" if cfg.mode == "append" else "create",
    )
    t0, frames, successes = time.perf_counter(), 0, 0
    try:
        with writer, tqdm(total=cfg.episodes, desc=f"collect {cfg.env}", unit="ep") as bar:
            for i in range(cfg.episodes):
                seed = cfg.seed * 1_000_003 + i  # distinct, reproducible per-episode seeds
                # Offset the policy's seed: env and policy both use PCG64, and equal seeds would
                # correlate the start position with the policy noise.
                policy = make_policy(cfg.policy, env, seed=seed + 2**31, **cfg.policy_kwargs)
                arrays, factors = record_episode(env, policy, seed)
                writer.add_episode(**arrays, seed=seed, factors=factors)
                frames += len(arrays["action"])
                successes += bool(arrays["is_success"].any())
                if (i + 1) % cfg.commit_every == 0:
                    writer.commit()
                bar.update(1)
                bar.set_postfix(
                    fps=f"{frames / (time.perf_counter() - t0):.0f}", success=f"{successes / (i + 1):.0%}"
                )
    finally:
        env.close()
    log.info(
        "recorded %d episodes (%d frames, %.0f frames/s, policy success %.0f%%) to %s",
        cfg.episodes,
        frames,
        frames / (time.perf_counter() - t0),
        100 * successes / cfg.episodes,
        out,
    )
    return out
