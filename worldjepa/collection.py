"""Record rollouts of an env + scripted policy into a Lance dataset (the ``collect`` command).

With ``num_envs > 1`` whole episodes are recorded (env stepped and rendered, policy run) in
gymnasium ``AsyncVectorEnv`` worker processes while the parent writes Lance; ``forkserver``
workers, because a forked child of a process that holds an EGL context or a Lance handle can
hang or crash.
Episodes are committed every ``commit_every`` episodes; each commit is one atomic Lance
append, so a crash or Ctrl-C loses at most the episodes not yet committed. An episode's
recording depends only on its seed, so any ``num_envs`` records the same dataset.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from worldjepa.config.fields import Invalid, Validated, opt, path_opt, require
from worldjepa.errors import ConfigError, DatasetError

log = logging.getLogger(__name__)


def policy_names() -> list[str]:
    """``expert`` (each env's own) and every registered collection policy."""
    from worldjepa.envs.policies import POLICIES

    return ["expert", *POLICIES.names()]


@dataclass
class CollectConfig(Validated):
    """Record rollouts of an env and a scripted policy into a Lance dataset."""

    env: str = opt(
        "worldjepa/TwoRoom-v0", "env id: worldjepa/<Name>-v0, any gymnasium MuJoCo id, or module:Id"
    )
    image_size: int = opt(64, "frame size in pixels (square)", ge=8, le=1024)
    episodes: int = opt(300, "episodes to record", ge=1)
    policy: str = opt("expert", "expert (the env's own) | a registered policy", choices=policy_names)
    policy_kwargs: dict[str, Any] = opt({}, "policy arguments, e.g. policy_kwargs={noise:0.3}")
    factors: str = opt("default", "factor split per episode: default | train | ood | [<split>+]ood-<kind>")
    seed: int = opt(0, "seed of the episodes (their starts, factors and policy noise)", ge=0)
    out: str = path_opt("data/tworoom", "dataset directory (or s3:// prefix)")
    commit_every: int = opt(20, "episodes per atomic Lance commit; a crash loses at most these", ge=1)
    mode: str = opt(
        "create",
        "create (refuse an existing dataset) | append | overwrite",
        choices=("create", "append", "overwrite"),
    )
    num_envs: int = opt(1, "> 1: step and render envs in this many worker processes (same data)", ge=1)
    shard: str = opt("", "i/N: record the episodes of shard i of N; N collectors append to one dataset "
                     "(e.g. a SLURM array: shard=$SLURM_ARRAY_TASK_ID/N)", pattern=(r"(\d+/\d+)?", "i/N, e.g. 0/4"))  # fmt: skip

    @property
    def shard_of(self) -> tuple[int, int] | None:
        """shard='i/N' -> (i, N); '' -> None."""
        if not self.shard:
            return None
        i, n = self.shard.split("/")
        return int(i), int(n)

    def check(self) -> None:
        from worldjepa.envs.factors import split_of
        from worldjepa.errors import EnvError

        if self.shard_of is not None:
            i, n = self.shard_of
            require(n >= 1 and 0 <= i < n, "shard", f"must be i/N with 0 <= i < N (got {self.shard})")
            require(self.mode != "overwrite", "shard",
                    "appends beside the other shards; mode=overwrite would delete their episodes")  # fmt: skip
        try:
            split_of(self.factors, "visual")
        except EnvError as exc:
            raise Invalid("factors", str(exc)) from None


class EpisodeBuffer:
    """Accumulates one episode's steps; ``arrays()`` stacks them into the writer's columns."""

    def __init__(self):
        self.pixels, self.action, self.proprio, self.state, self.is_success = [], [], [], [], []

    def add(self, obs: dict, info: dict, action) -> None:
        self.pixels.append(obs["pixels"])
        self.proprio.append(obs["proprio"])
        self.state.append(info["state"])
        self.is_success.append(bool(info["is_success"]))
        self.action.append(action)

    def arrays(self) -> dict:
        import numpy as np

        return {
            "pixels": np.stack(self.pixels),
            "action": np.stack(self.action).astype(np.float32),
            "proprio": np.stack(self.proprio).astype(np.float32),
            "state": np.stack(self.state).astype(np.float32),
            "is_success": np.array(self.is_success, dtype=bool),
        }


def policy_seed(seed: int) -> int:
    # Offset from the env's seed: env and policy both use PCG64, and equal seeds would
    # correlate the start position with the policy noise.
    return seed + 2**31


def record_episode(env, policy, seed: int):
    """Run one episode to its end. Returns (arrays dict, realised factors)."""
    import numpy as np

    obs, info = env.reset(seed=seed)
    policy.reset(obs, info)
    buffer, factors = EpisodeBuffer(), info["factors"]
    while True:
        action = np.asarray(policy(obs, info), dtype=np.float32)
        buffer.add(obs, info, action)
        obs, _, terminated, truncated, info = env.step(action)
        if terminated or truncated:
            break
    return buffer.arrays(), factors


def _sequential_episodes(cfg: CollectConfig, env, seeds: list[int]):
    """Yield (arrays, seed, factors) per episode, stepping ``env`` in this process."""
    from worldjepa.envs.policies import make_policy

    for seed in seeds:
        policy = make_policy(cfg.policy, env, seed=policy_seed(seed), **cfg.policy_kwargs)
        arrays, factors = record_episode(env, policy, seed)
        yield arrays, seed, factors


def _recorder_env(env_id: str, image_size: int, factor_split: str, policy: str, policy_kwargs: dict):
    """A worker's env: the env, wrapped so that ``call("record_next")`` records a whole episode."""
    import gymnasium

    from worldjepa.envs import make_env

    class EpisodeRecorder(gymnasium.Wrapper):
        """Records one whole episode per call, inside the worker: one round trip per episode
        instead of one per step (per-step pipes and info pickling cost more than the physics)."""

        next_seed: int | None = None

        def record_next(self):
            from worldjepa.envs.policies import make_policy

            seed = self.next_seed
            return record_episode(
                self.env, make_policy(policy, self.env, seed=policy_seed(seed), **policy_kwargs), seed
            )

    return EpisodeRecorder(make_env(env_id, image_size=image_size, factor_split=factor_split))


def _vector_episodes(cfg: CollectConfig, env, seeds: list[int]):
    """Yield (arrays, seed, factors) per episode, ``cfg.num_envs`` episodes at a time, each
    recorded (stepped, rendered, policy run) inside an AsyncVectorEnv worker. The parent
    writes round r while the workers record round r + 1."""
    import functools

    import gymnasium

    k = min(cfg.num_envs, len(seeds))
    factory = functools.partial(
        _recorder_env, cfg.env, cfg.image_size, cfg.factors, cfg.policy, dict(cfg.policy_kwargs)
    )
    venv = gymnasium.vector.AsyncVectorEnv([factory] * k, context="forkserver")
    rounds = [seeds[i : i + k] for i in range(0, len(seeds), k)]

    def submit(batch: list[int]) -> None:
        # A short last round still runs all k workers (a vector env calls them all); the
        # surplus ones replay real seeds and their episodes are dropped.
        venv.set_attr("next_seed", (batch * k)[:k])
        venv.call_async("record_next")

    try:
        submit(rounds[0])
        for r, batch in enumerate(rounds):
            results = venv.call_wait()
            if r + 1 < len(rounds):
                submit(rounds[r + 1])
            for seed, (arrays, factors) in zip(batch, results, strict=False):
                yield arrays, seed, factors
    finally:
        venv.close()


def episode_seeds(cfg: CollectConfig, out) -> list[int]:
    """``cfg.episodes`` distinct, reproducible seeds. Appending skips the seeds the dataset already
    holds, so `episodes=300` interrupted after 120 and then `episodes=180 mode=append` records
    the same dataset as one uninterrupted run (and never an episode twice).

    Shard i of N records the seeds j = i, i+N, i+2N, ... (j < episodes) of the same list,
    fixed whatever the other shards have committed, minus those already recorded: the shards
    are disjoint, and a killed shard run again records only what it is missing."""
    taken: set[int] = set()
    if cfg.mode == "append" or cfg.shard_of is not None:
        from worldjepa.datasets import open_dataset

        try:
            taken = {int(e["seed"]) for e in open_dataset(out).episodes}
        except DatasetError:  # appending to a new path
            taken = set()
    if cfg.shard_of is not None:
        k, n = cfg.shard_of
        return [s for j in range(k, cfg.episodes, n) if (s := cfg.seed * 1_000_003 + j) not in taken]
    seeds, i = [], 0
    while len(seeds) < cfg.episodes:
        seed = cfg.seed * 1_000_003 + i
        if seed not in taken:
            seeds.append(seed)
        i += 1
    return seeds


def check_policy(cfg: CollectConfig, env) -> None:
    """Build the policy once: unknown ``policy_kwargs`` name what the policy takes instead."""
    import inspect

    from worldjepa.config.fields import show
    from worldjepa.envs import expert_policy_name
    from worldjepa.envs.policies import POLICIES, make_policy
    from worldjepa.errors import EnvError

    try:
        name = expert_policy_name(env) if cfg.policy == "expert" else cfg.policy
    except EnvError as exc:
        raise EnvError(f"{exc}; record with policy=random (collect.policy=random in quickstart)") from None
    takes = [k for k in inspect.signature(POLICIES.get(name)).parameters if k not in ("env", "seed")]
    try:
        policy = make_policy(cfg.policy, env, seed=0, **cfg.policy_kwargs)
        obs, info = env.reset(seed=0)  # one action, so a bad value fails here and not mid-recording
        policy.reset(obs, info)
        policy(obs, info)
    except TypeError as exc:
        raise ConfigError(
            f"policy_kwargs={show(cfg.policy_kwargs)}: policy {name} takes {', '.join(takes) or 'no arguments'} ({exc})"
        ) from None
    except ValueError as exc:
        raise ConfigError(
            f"policy_kwargs={show(cfg.policy_kwargs)}: policy {name} refuses it ({exc})"
        ) from None


def check_destination(cfg: CollectConfig, out) -> None:
    """``create`` into an existing dataset, or ``append`` of episodes recorded otherwise (another
    policy or factor split: one dataset, one recipe), stop before any episode is recorded; and a
    factor split means nothing for an env without factors."""
    from worldjepa.envs import env_factor_space

    if cfg.factors != "default" and not len(env_factor_space(cfg.env)):
        raise ConfigError(f"factors={cfg.factors}: {cfg.env} has no factors of variation; drop factors=")
    if not (out / "steps.lance").exists():
        return
    if cfg.mode == "create" and cfg.shard_of is None:
        raise DatasetError(f"{out} already holds a dataset; add to it with mode=append, replace it with mode=overwrite, "
                           "or choose another out=")  # fmt: skip
    if cfg.mode == "append" or cfg.shard_of is not None:
        from worldjepa.datasets import open_dataset

        try:
            extra = open_dataset(out).meta.get("extra", {})
        except DatasetError:  # another shard is creating it right now: nothing committed yet
            return
        recorded = {"policy": extra.get("policy"), "policy_kwargs": extra.get("policy_kwargs", {}),
                    "factors": extra.get("factor_split")}  # fmt: skip
        asked = {"policy": cfg.policy, "policy_kwargs": dict(cfg.policy_kwargs), "factors": cfg.factors}
        for key, value in asked.items():
            if recorded[key] is not None and recorded[key] != value:
                raise ConfigError(
                    f"{key}={value}: {out} was recorded with {key}={recorded[key]}; appending would mix them "
                    "(record into another out=)"
                )


def collect(cfg: CollectConfig) -> Path:
    """Record ``cfg.episodes`` episodes to ``cfg.out``; returns the dataset path."""
    from worldjepa.config import validate
    from worldjepa.config.fields import expect
    from worldjepa.datasets import DatasetWriter
    from worldjepa.datasets.storage import location, remove_tree
    from worldjepa.envs import make_env
    from worldjepa.paths import writable_parent
    from worldjepa.progress import progress_bar

    expect(cfg, CollectConfig, "collect")
    validate(cfg)
    out = location(cfg.out)
    writable_parent(cfg.out, "out", dataset_root_ok=True)  # append / overwrite write there
    env = make_env(cfg.env, image_size=cfg.image_size, factor_split=cfg.factors)
    check_policy(cfg, env)  # before anything is written: a bad policy leaves no dataset behind
    check_destination(cfg, out)
    if cfg.mode == "overwrite" and out.exists():
        if not (out / "steps.lance").exists() and any(out.iterdir()):
            raise DatasetError(f"{out} exists and is not a worldjepa dataset; refusing to delete it")
        remove_tree(out)
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
        mode="shared" if cfg.shard_of is not None else "append" if cfg.mode == "append" else "create",
    )
    seeds = episode_seeds(cfg, out)
    episodes = (_vector_episodes if cfg.num_envs > 1 else _sequential_episodes)(cfg, env, seeds)
    t0, frames, successes, recorded = time.perf_counter(), 0, 0, 0
    desc = f"collect {cfg.env}" + (f" x{cfg.num_envs} envs" if cfg.num_envs > 1 else "")
    if cfg.shard_of is not None:
        desc += f" shard {cfg.shard}"
        log.info("shard %s: %d of its episodes to record", cfg.shard, len(seeds))
    try:
        with writer, progress_bar(total=len(seeds), desc=desc, unit="ep") as bar:
            for i, (arrays, seed, factors) in enumerate(episodes):
                # A shard's episode ids are its seeds: disjoint from every other shard's, with no coordination.
                writer.add_episode(**arrays, seed=seed, factors=factors,
                                   episode_idx=seed if writer.shared else None)  # fmt: skip
                recorded = i + 1
                frames += len(arrays["action"])
                successes += bool(arrays["is_success"].any())
                if (i + 1) % cfg.commit_every == 0:
                    writer.commit()
                bar.update(1)
                bar.set_postfix(
                    fps=f"{frames / (time.perf_counter() - t0):.0f}", success=f"{successes / (i + 1):.0%}"
                )
    except KeyboardInterrupt:  # the writer committed every whole episode on the way out
        log.warning(
            "interrupted after %d of %d episodes (all kept); record the rest with the same keys and "
            "mode=append episodes=%d: the same dataset as an uninterrupted run",
            recorded, cfg.episodes, cfg.episodes - recorded,
        )  # fmt: skip
        raise
    finally:
        episodes.close()  # stops the vector env's workers now, not at garbage collection
        env.close()
    log.info(
        "recorded %d episodes (%d frames, %.0f frames/s, policy success %.0f%%) to %s",
        recorded,
        frames,
        frames / max(time.perf_counter() - t0, 1e-9),
        100 * successes / max(recorded, 1),
        out,
    )
    return out
