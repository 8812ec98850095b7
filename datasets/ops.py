"""Whole-dataset operations: merge several datasets into one, split one by episode.

Both write new datasets (the inputs are never modified) through ``DatasetWriter``, so the
results are committed atomically, compacted, and carry fresh stats.json.
"""

from __future__ import annotations

import dataclasses
import itertools
import os
from pathlib import Path

import numpy as np

from worldjepa.datasets.storage import location
from worldjepa.errors import DatasetError

# What must agree for episodes of two datasets to live in one.
MERGE_KEYS = ("image_size", "action_dim", "proprio_dim", "state_names")


def merge(paths, out: str | os.PathLike, progress: bool = True) -> Path:
    """The episodes of every dataset in ``paths``, in order -> a new dataset at ``out``.

    Episodes are renumbered 0..E-1; seeds and factors are kept. The action bounds are the union.
    """
    from worldjepa.datasets.formats import native
    from worldjepa.datasets.formats.common import EpisodeSource

    paths = [location(p) for p in paths]
    if len(paths) < 2:
        raise DatasetError(f"merge needs at least 2 datasets; got {len(paths)}")
    sources = [native.read(p) for p in paths]
    first = sources[0].info
    for p, s in zip(paths[1:], sources[1:], strict=True):
        for key in MERGE_KEYS:
            if getattr(s.info, key) != getattr(first, key):
                raise DatasetError(
                    f"cannot merge {p} into {paths[0]}: {key} is {getattr(s.info, key)!r} there but "
                    f"{getattr(first, key)!r} here"
                )
    env_ids = sorted({s.info.env_id for s in sources})
    info = dataclasses.replace(
        first,
        env_id=env_ids[0] if len(env_ids) == 1 else "+".join(env_ids),
        action_low=np.min([s.info.action_low for s in sources], axis=0).tolist(),
        action_high=np.max([s.info.action_high for s in sources], axis=0).tolist(),
        extra={**first.extra, "merged_from": [str(p) for p in paths]},
    )
    merged = EpisodeSource(
        info, sum(s.num_episodes for s in sources), lambda: itertools.chain(*(s.episodes() for s in sources))
    )
    return native.write(merged, location(out), progress=progress)


def split(path: str | os.PathLike, out: str | os.PathLike, val_fraction: float = 0.2, seed: int = 0,
          progress: bool = True) -> tuple[Path, Path]:  # fmt: skip
    """A dataset -> ``out/train`` and ``out/val``, split by episode (``split_episodes``'s rule,
    the one training uses, so the same seed gives the same split)."""
    from worldjepa.datasets.formats import native
    from worldjepa.datasets.reader import open_dataset
    from worldjepa.datasets.windows import split_episodes

    ids = open_dataset(path).episode_ids
    train, val = split_episodes(ids, val_fraction, seed)
    if len(val) == 0:
        raise DatasetError("val_fraction=0 leaves nothing to split off; pass val_fraction in (0, 1)")
    out = location(out)
    return tuple(
        native.write(native.read(path, episodes=part), out / name, progress=progress)
        for name, part in (("train", train), ("val", val))
    )


def compact(path: str | os.PathLike) -> Path:
    """Merge a dataset's per-commit fragments (faster random reads; see DatasetWriter.compact)."""
    from worldjepa.datasets.reader import open_dataset
    from worldjepa.datasets.writer import DatasetWriter

    ds = open_dataset(path)
    m = ds.meta
    w = DatasetWriter(
        path, env_id=m["env_id"], image_size=m["image_size"], action_low=m["action_low"],
        action_high=m["action_high"], state_names=m["state_names"], proprio_dim=m["proprio_dim"],
        fps=m["fps"], extra=m.get("extra"), mode="append",
    )  # fmt: skip
    w.close(compact=True)
    return location(path)
