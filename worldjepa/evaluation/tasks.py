"""Start/goal tasks from held-out recorded episodes (the anchors' 'offset' protocol).

For each held-out episode a start step t0 is drawn and the goal is the recorded frame
``offset`` env steps later. The goal image is that recorded frame, and the goal state is fed to
the env so its own success predicate (``info["is_success"]``) judges the outcome. Starts that
already satisfy the goal, or that the env refuses to place, are redrawn, and an episode with no
valid start is excluded and counted, never silently scored.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from worldjepa.errors import EnvError

# What the env-sampled task protocol needs beyond reset/step (a MujocoGoalEnv has them).
TASK_PROTOCOL_NEEDS = ("sample_task", "goal_state", "render_state")


@dataclass
class Task:
    episode_idx: int
    start_step: int
    start_state: np.ndarray  # (n_state,): float32 from a dataset, float64 from the env
    goal_state: np.ndarray  # (n_state,)
    goal_pixels: np.ndarray  # (H, W, 3) uint8
    factors: dict

    def reset_options(self, env) -> dict:
        """Reset options that put ``env`` at this task's start, with this task's goal."""
        return env.unwrapped.task_options(self.start_state, self.goal_state, self.factors)


def build_offset_tasks(ds, env, episode_ids, offset: int, max_tasks: int, seed: int, tries: int = 20):
    """-> (tasks, excluded_episode_ids). ``env`` is used only to check the success predicate."""
    rng = np.random.default_rng(seed)
    episodes = {int(e["episode_idx"]): e for e in _episode_rows(ds)}
    tasks: list[Task] = []
    excluded: list[int] = []
    for ep in sorted(int(e) for e in episode_ids):
        if len(tasks) >= max_tasks:
            break
        length = int(episodes[ep]["length"])
        if length <= offset:
            excluded.append(ep)
            continue
        data = ds.read_episode(ep, columns=["state"])
        factors = episodes[ep]["factors"]  # decoded by the reader
        starts = rng.permutation(length - offset)[:tries]
        chosen = None
        for t0 in starts:
            task = Task(ep, int(t0), data["state"][t0], data["state"][t0 + offset], None, factors)  # type: ignore[arg-type]
            try:
                _, info = env.reset(options=task.reset_options(env))
            except EnvError:
                # A recorded state the env will not place (a contact's slight penetration, read
                # back as float32, can overlap a wall in a narrow door): draw another start.
                continue
            if not info["is_success"]:
                chosen = task
                break
        if chosen is None:
            excluded.append(ep)
            continue
        tasks.append(chosen)
    if tasks:
        rows = np.array([int(episodes[t.episode_idx]["start_row"]) + t.start_step + offset for t in tasks])
        goals = ds.take_frames(rows)
        for task, goal in zip(tasks, goals, strict=True):
            task.goal_pixels = goal
    return tasks, excluded


def build_env_tasks(
    env, num_tasks: int, seed: int, factors: dict | None = None
) -> tuple[list[Task], list[int]]:
    """The task protocol: the env samples start, goal and factors (reset with seed ``seed + i``;
    ``factors`` {name: value} fixes some of them); the goal image is the env's ``goal_state``
    rendered. -> (tasks, excluded indices): starts that already satisfy their goal are
    excluded. Task.episode_idx is the task index i."""
    base = env.unwrapped
    missing = [name for name in TASK_PROTOCOL_NEEDS if not hasattr(base, name)]
    if missing:
        raise EnvError(
            f"{env.spec.id if env.spec else type(base).__name__} samples no tasks of its own (it has no "
            f"{', '.join(missing)}, as a MujocoGoalEnv has; see docs/env_contract.md): use protocol=offset"
        )
    tasks: list[Task] = []
    excluded: list[int] = []
    for i in range(num_tasks):
        _, info = env.reset(seed=seed + i, options={"factors": factors} if factors else None)
        if info["is_success"]:
            excluded.append(i)
            continue
        start = base._read_state(base.data)  # float64: the exact start, not info's float32 copy
        goal_state = base.goal_state(start, base._goal)
        tasks.append(Task(i, 0, start, goal_state, base.render_state(goal_state), dict(base.factors)))
    return tasks, excluded


def _episode_rows(ds) -> list[dict]:
    eps = ds.episodes
    return eps.to_pylist() if hasattr(eps, "to_pylist") else list(eps)
