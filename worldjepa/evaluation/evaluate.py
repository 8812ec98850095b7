"""`worldjepa eval`: plan with a checkpoint on start/goal pairs, beside random and no-op.

Two protocols (``PROTOCOLS``):

- ``offset`` (the anchors', made honest): tasks come from episodes the model never trained on
  (the checkpoint records the split), the goal is the recorded frame ``goal_offset`` env steps
  after the start;
- ``task``: the env samples start, goal and factors (``factors=default|train|ood``); the goal
  image is the env's ``goal_state`` rendered.

Either way success is the env's ``is_success`` at any step within ``budget``, starts that
already satisfy the goal are excluded, and every remaining episode is counted.
"""

from __future__ import annotations

import functools
import logging
import time
from dataclasses import asdict, dataclass

from worldjepa.config.fields import Invalid, Validated, checkpoint_opt, device_opt, opt, path_opt, require
from worldjepa.errors import ConfigError, DatasetError
from worldjepa.planners.config import MPCConfig
from worldjepa.registry import Registry

log = logging.getLogger(__name__)


@dataclass
class EvalConfig(Validated, MPCConfig):
    """Plan with a checkpoint on start/goal tasks beside baselines. The MPC keys (planner=,
    horizon, cost, hold_actions, ...) are ``MPCConfig``'s, so their defaults are the policy's."""

    checkpoint: str = checkpoint_opt()
    data: str | None = path_opt(
        None, "dataset of the tasks (null: the checkpoint's own, its held-out episodes)"
    )
    protocol: str = opt("offset", "offset: goal = a held-out frame goal_offset steps later | task: env-sampled",
                        choices="worldjepa.evaluation.evaluate:PROTOCOLS")  # fmt: skip
    factors: str = opt(
        "default", "task protocol: the envs' factor split (default | train | ood | ood-<kind>)"
    )
    episodes: int = opt(50, "tasks (offset: one per held-out episode)", ge=1)
    goal_offset: int = opt(25, "goal = the recorded frame this many env steps after the start", ge=1)
    budget: int = opt(50, "env steps allowed; success = is_success at any step", ge=1)
    policies: list[str] = opt(["mpc", "random", "noop"], "policies compared on the same tasks (+ expert: the ceiling)",
                              choices="worldjepa.evaluation.policies:EVAL_POLICIES")  # fmt: skip
    seed: int = opt(0, "seed of the tasks and the planners", ge=0)
    device: str = device_opt()
    video: bool = opt(False, "write an mp4 per episode (agent | goal | latent distance)")
    video_max: int = opt(10, "episodes with a video", ge=0)
    out: str | None = path_opt(None, "output folder (null: <run dir>/eval, or <run dir>/sweep for a sweep)")
    sweep: str | None = opt(None, "response curves: a factor name (or all) moved from its default into OOD, "
                            "task protocol at each point; see worldjepa/evaluation/response.py")  # fmt: skip
    points: int = opt(7, "sweep: values per factor, default first", ge=2)
    reach: float = opt(
        1.0, "sweep: where it ends, 1 = the OOD range's far corner, >1 past it (within limits)", gt=0
    )
    error_episodes: int = opt(
        8, "sweep: fresh expert episodes per point for the latent prediction error", ge=1
    )

    def check(self) -> None:
        from worldjepa.envs.factors import split_of
        from worldjepa.errors import EnvError

        MPCConfig.check(self)
        require(len(self.policies) > 0, "policies", "name at least one policy, e.g. policies=[mpc,random]")
        require(len(set(self.policies)) == len(self.policies), "policies", "names a policy twice")
        require(self.protocol == "task" or self.sweep or self.factors == "default", "factors",
                "applies to protocol=task; the offset protocol replays the factors each episode was recorded with")  # fmt: skip
        require(not (self.sweep and self.video), "video", "is not written by a sweep; drop video=true")
        try:
            split_of(self.factors, "visual")
        except EnvError as exc:
            raise Invalid("factors", str(exc)) from None


def _offset_tasks(cfg: EvalConfig, pre: dict, ds, env):
    """Start = a random step of a held-out episode, goal = its frame ``goal_offset`` steps later."""
    from worldjepa.checkpoint import trained_on
    from worldjepa.evaluation.tasks import build_offset_tasks

    held_out = pre["val_episodes"] if trained_on(pre, cfg.data) else ds.episode_ids.tolist()
    if not held_out:
        raise ConfigError(
            "the checkpoint has no held-out episodes (val_fraction=0); pass data=<a separate dataset>"
        )
    tasks, excluded = build_offset_tasks(ds, env, held_out, cfg.goal_offset, cfg.episodes, cfg.seed)
    return tasks, excluded, f"held-out episodes, goal +{cfg.goal_offset} steps"


def _env_tasks(cfg: EvalConfig, pre: dict, ds, env):
    """Start, goal and factors sampled by the env (seeds seed..seed+episodes-1)."""
    from worldjepa.evaluation.tasks import build_env_tasks

    tasks, excluded = build_env_tasks(env, cfg.episodes, cfg.seed)
    return tasks, excluded, f"env-sampled tasks ({cfg.factors} factors)"


# protocol -> (cfg, preprocess, dataset, probe env) -> (tasks, excluded, description)
PROTOCOLS = Registry("evaluation protocol")
PROTOCOLS.register("offset")(_offset_tasks)
PROTOCOLS.register("task")(_env_tasks)


def _play(cfg: EvalConfig, name: str, model, pre: dict, device, envs, tasks, record: bool = False):
    """One policy on ``tasks`` (one env each) -> (summary, episode results, the policy)."""
    from worldjepa.evaluation.policies import EVAL_POLICIES
    from worldjepa.evaluation.report import summarise
    from worldjepa.evaluation.runner import run_episodes
    from worldjepa.progress import progress_bar

    policy = EVAL_POLICIES.get(name)(
        low=pre["action_low"], high=pre["action_high"], seed=cfg.seed, model=model, preprocess=pre,
        mpc=MPCConfig.of(cfg), device=device, envs=envs,
    )  # fmt: skip
    t0 = time.perf_counter()
    with progress_bar(total=cfg.budget, desc=f"eval {name} ({len(tasks)} envs)", unit="step") as bar:
        results, act_time = run_episodes(envs, tasks, policy, cfg.budget, record_frames=record, progress=bar)
    summary = summarise(name, results, act_time, cfg.budget)
    log.info("%s: %d/%d in %.1fs", name, summary["successes"], len(results), time.perf_counter() - t0)
    return summary, results, policy


def _sweep_point(cfg: EvalConfig, model, pre: dict, device, make, factors: dict) -> list[dict]:
    """Every policy on env-sampled tasks with ``factors`` fixed -> their summaries."""
    from worldjepa.errors import DatasetError
    from worldjepa.evaluation.tasks import build_env_tasks

    probe_env = make()
    try:
        tasks, _ = build_env_tasks(probe_env, cfg.episodes, cfg.seed, factors)
    finally:
        probe_env.close()
    if not tasks:
        raise DatasetError(f"sweep {factors}: every sampled start already satisfies its goal")
    envs = [make() for _ in tasks]
    try:
        return [_play(cfg, name, model, pre, device, envs, tasks)[0] for name in cfg.policies]
    finally:
        for env in envs:
            env.close()


def evaluate(cfg: EvalConfig) -> dict:
    """Run every policy on the same tasks; print the table; write results.json (+ videos)."""
    import numpy as np

    from worldjepa.checkpoint import load_checkpoint_and_data
    from worldjepa.config import validate
    from worldjepa.config.fields import expect
    from worldjepa.devices import resolve_device
    from worldjepa.envs import make_env
    from worldjepa.evaluation.report import format_table, write_results
    from worldjepa.evaluation.video import write_episode_video
    from worldjepa.paths import writable_dir
    from worldjepa.run_dir import run_of

    expect(cfg, EvalConfig, "eval")
    validate(cfg)  # unknown names and bad numbers fail before any work
    device = resolve_device(cfg.device)
    ckpt_dir, model, pre, ds = load_checkpoint_and_data(cfg.checkpoint, cfg.data, device)
    out = writable_dir(
        cfg.out or run_of(ckpt_dir) / ("sweep" if cfg.sweep else "eval"), "out"
    )  # before any work
    data_path = cfg.data or pre["dataset"]
    image_size = pre["image_size"][0]
    # offset: the factors come from the data; a sweep holds the other factors at factors=
    factor_split = cfg.factors if cfg.protocol == "task" or cfg.sweep else "default"
    make = functools.partial(make_env, pre["env_id"], image_size=image_size, factor_split=factor_split)
    probe_env = make()
    if "expert" in cfg.policies:  # before any planning: is there an expert to compare with?
        from worldjepa.envs import expert_policy_name
        from worldjepa.errors import EnvError

        try:
            expert_policy_name(probe_env)
        except EnvError as exc:
            probe_env.close()
            raise EnvError(f"policies=[...,expert]: {exc}; drop expert from policies") from None
    if cfg.sweep:
        from worldjepa.evaluation.response import run_sweep

        probe_env.close()
        return run_sweep(
            cfg, model, pre, device, out, functools.partial(_sweep_point, cfg, model, pre, device, make)
        )
    try:
        tasks, excluded, what = PROTOCOLS.get(cfg.protocol)(cfg, pre, ds, probe_env)
    finally:
        probe_env.close()
    if not tasks:
        hint = ""
        if cfg.protocol == "offset":
            longest = int(max(ds.episode_lengths)) if len(ds.episode_lengths) else 0
            hint = f"; episodes are at most {longest} steps, so goal_offset must be below that"
        raise DatasetError(f"no valid start/goal pairs for the {cfg.protocol} protocol ({what}){hint}")
    if len(tasks) < cfg.episodes:
        log.warning(
            "only %d tasks (asked for %d): record more episodes for a tighter interval",
            len(tasks),
            cfg.episodes,
        )
    envs = [make() for _ in tasks]

    summaries, per_episode, clips = [], {}, []  # clips: what the videos need, written after results.json
    try:
        for name in cfg.policies:
            record = cfg.video and name == cfg.policies[0]
            summary, results, policy = _play(cfg, name, model, pre, device, envs, tasks, record)
            summaries.append(summary)
            per_episode[name] = [r.to_json() for r in results]
            if record:
                traces = getattr(policy, "distances", None)  # MPC's latent distances to the goal
                for i, (task, r) in enumerate(list(zip(tasks, results, strict=True))[: cfg.video_max]):
                    clips.append((
                        out / "videos" / f"{name}_ep{task.episode_idx:05d}.mp4", r.frames, task.goal_pixels,
                        r.steps_to_success, traces and {k: [(s, d[i]) for s, d in v] for k, v in traces.items()},
                    ))  # fmt: skip
    finally:
        for env in envs:
            env.close()

    title = (
        f"{pre['env_id']}: {len(tasks)} {what}, budget {cfg.budget} "
        f"({len(excluded)} excluded: start already at goal or too short)"
    )
    table = format_table(summaries, title)
    print(table)
    payload = {
        "table": table,
        "config": asdict(cfg),
        "checkpoint": str(ckpt_dir),
        "dataset": str(data_path),
        "excluded_episodes": excluded,
        "summary": summaries,
        "episodes": per_episode,
        "tasks": [
            {
                "episode_idx": t.episode_idx,
                "start_step": t.start_step,
                "start_state": np.asarray(t.start_state).tolist(),
                "goal_state": np.asarray(t.goal_state).tolist(),
            }
            for t in tasks
        ],
    }
    path = write_results(out, payload)
    log.info("wrote %s", path)
    for video, frames, goal, success_at, distances in clips:  # after results.json: a video can't lose it
        write_episode_video(video, frames, goal, success_at, distances=distances)
    if clips:
        log.info("wrote %d videos to %s", len(clips), out / "videos")
    return payload
