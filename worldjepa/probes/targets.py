"""What a probe predicts: the recorded physical quantities of a dataset's steps.

Every ``state_*`` column (angles as their sine and cosine), plus the numeric episode factors of
the chosen kinds (by default the physical ones: mass, friction, damping...), broadcast to the
episode's steps.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Targets:
    """values: (N, Q) float32, one column per quantity; names/kinds: (Q,) ("state" or a factor kind)."""

    names: list[str]
    kinds: list[str]
    values: np.ndarray

    def select(self, keep: np.ndarray) -> Targets:
        """keep: (Q,) bool -> the kept columns."""
        idx = np.flatnonzero(keep)
        return Targets([self.names[i] for i in idx], [self.kinds[i] for i in idx], self.values[:, idx])


def _factor_kinds(env_id: str) -> dict[str, str]:
    """factor name -> kind for a worldjepa env; {} for others (their factors are not probed)."""
    from worldjepa.envs import ENV_IDS, env_factor_space

    if env_id not in ENV_IDS:
        return {}
    return {f.name: f.kind for f in env_factor_space(env_id)}


def probe_targets(ds, rows: np.ndarray, episode_of_row: np.ndarray, factor_kinds=("physical",)) -> Targets:
    """rows: (N,) steps-table rows, episode_of_row: (N,) their episode ids -> Targets (N, Q)."""
    names, kinds, cols = [], [], []
    state = ds.load_columns(("state",))["state"]
    for i, name in enumerate(ds.state_names):
        if name.endswith("angle"):  # wraps around: probe the point on the circle, not the number
            names += [f"sin({name})", f"cos({name})"]
            kinds += ["state", "state"]
            cols += [np.sin(state[rows, i]), np.cos(state[rows, i])]
            continue
        names.append(name)
        kinds.append("state")
        cols.append(state[rows, i])
    kind_of = _factor_kinds(ds.meta.get("env_id", ""))
    by_episode = {int(e["episode_idx"]): e["factors"] for e in ds.episodes}  # decoded by the reader
    wanted = sorted(n for n, k in kind_of.items() if k in factor_kinds)
    for name in wanted:
        per_ep = {
            ep: np.atleast_1d(np.asarray(f[name], np.float32)) for ep, f in by_episode.items() if name in f
        }
        if len(per_ep) != len(by_episode):
            continue  # not recorded for every episode
        width = len(next(iter(per_ep.values())))
        table = np.stack([per_ep[int(ep)] for ep in episode_of_row])  # (N, width)
        for j in range(width):
            names.append(name if width == 1 else f"{name}[{j}]")
            kinds.append(kind_of[name])
            cols.append(table[:, j])
    values = np.stack(cols, axis=1).astype(np.float32) if cols else np.zeros((len(rows), 0), np.float32)
    return Targets(names, kinds, values)
