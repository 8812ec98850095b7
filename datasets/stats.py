"""Per-dimension statistics of a dataset's low-dimensional columns, stored in ``root/stats.json``.

Layout::

    {"num_episodes": E, "num_steps": N,
     "action":  {"mean": [A], "std": [A], "min": [A], "max": [A], "p01": [A], "p99": [A], "count": N},
     "proprio": {... per dimension of P ...},
     "state":   {"names": [...], ... per state name ...}}

``std`` is the population standard deviation (numpy's default, ddof=0). Statistics are
computed in float64 over every committed step.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from worldjepa.datasets.storage import is_remote, location
from worldjepa.errors import DatasetError

STATS_FILE = "stats.json"


def column_stats(x: np.ndarray) -> dict:
    """x: (N, D) -> {"mean", "std", "min", "max", "p01", "p99": list of D floats, "count": N}."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError(f"column_stats expects (N, D); got shape {x.shape}")
    n, d = x.shape
    if n == 0:
        empty = [float("nan")] * d
        return {k: empty for k in ("mean", "std", "min", "max", "p01", "p99")} | {"count": 0}
    p01, p99 = np.quantile(x, [0.01, 0.99], axis=0)
    return {
        "mean": x.mean(0).tolist(),
        "std": x.std(0).tolist(),
        "min": x.min(0).tolist(),
        "max": x.max(0).tolist(),
        "p01": p01.tolist(),
        "p99": p99.tolist(),
        "count": int(n),
    }


def dataset_stats(
    action: np.ndarray, proprio: np.ndarray, state: np.ndarray, state_names, num_episodes: int
) -> dict:
    """action: (N, A), proprio: (N, P), state: (N, n_state) over all committed steps -> stats dict."""
    return {
        "num_episodes": int(num_episodes),
        "num_steps": int(len(action)),
        "action": column_stats(action),
        "proprio": column_stats(proprio),
        "state": {"names": list(state_names)} | column_stats(state),
    }


def write_stats(root: str | os.PathLike, stats: dict) -> Path:
    """Write ``root/stats.json`` atomically (tmp file + os.replace), so readers never see half a file."""
    path = location(root) / STATS_FILE
    if is_remote(path):
        path.write_text(json.dumps(stats, indent=1))  # one PUT: atomic on object stores
        return path
    tmp = path.with_name(f".{STATS_FILE}.{os.getpid()}.tmp")
    with open(tmp, "w") as f:
        json.dump(stats, f, indent=1)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    return path


def read_stats(root: str | os.PathLike) -> dict:
    path = location(root) / STATS_FILE
    if not path.is_file():
        raise DatasetError(
            f"{path} is missing; recompute it with `worldjepa.datasets.recompute_stats({str(root)!r})`"
        )
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as e:
        raise DatasetError(
            f"{path} is unreadable ({e}); recompute it with `worldjepa.datasets.recompute_stats({str(root)!r})`"
        ) from None


def recompute_stats(root: str | os.PathLike) -> dict:
    """Recompute ``root/stats.json`` from the committed steps (e.g. after a crash before it was written)."""
    from worldjepa.datasets.reader import open_dataset

    ds = open_dataset(root)
    cols = ds.load_columns(("action", "proprio", "state"), committed_only=True)
    stats = dataset_stats(cols["action"], cols["proprio"], cols["state"], ds.state_names, ds.num_episodes)
    write_stats(root, stats)
    return stats
