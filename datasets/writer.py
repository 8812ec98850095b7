"""Record rollouts into a dataset: ``DatasetWriter`` buffers whole episodes and commits them.

A commit appends all buffered steps to steps.lance (one Lance version), then their rows to
episodes.lance, then rewrites stats.json atomically. Readers only see episodes listed in
episodes.lance, so a crash (or kill -9) at any point leaves every previously committed episode
readable and never exposes half an episode: steps rows without an episode row are ignored, and
the next commit places its episodes after them.

One writer per dataset at a time, except in ``mode="shared"``: N writers (``worldjepa collect
shard=i/N``, on one machine or many, local or S3) append to one dataset concurrently. Each
commit finds where Lance placed its own rows (after whatever the others committed meanwhile),
episode ids are given by the caller (disjoint across writers), stats.json is recomputed from
the whole dataset, and nobody compacts (``worldjepa data compact`` afterwards).

    with DatasetWriter("data/reacher", env_id="Reacher-v0", image_size=(64, 64),
                       action_low=[-1, -1], action_high=[1, 1], state_names=["qpos0", "qpos1"],
                       proprio_dim=4, fps=20) as w:
        w.add_episode(pixels, action, proprio, state, is_success, seed=0, factors={})
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa

import worldjepa
from worldjepa.datasets import schema as S
from worldjepa.datasets.stats import dataset_stats, write_stats
from worldjepa.datasets.storage import location, open_lance, write_lance
from worldjepa.errors import DatasetError

log = logging.getLogger(__name__)
# Rows per fragment after compaction: one fragment up to ~4 GiB of 64 px frames.
COMPACT_ROWS = 1 << 20


class DatasetWriter:
    """Buffers episodes in memory and appends them to ``root`` on ``commit()`` / ``close()``.

    Leaving a ``with`` block commits the complete episodes already added, even on an exception.
    Call ``commit()`` every few episodes to bound memory (a 64x64 frame is 12 KiB).
    """

    def __init__(
        self,
        root: str | os.PathLike,
        *,
        env_id: str,
        image_size: tuple[int, int],
        action_low,
        action_high,
        state_names: Sequence[str],
        proprio_dim: int,
        fps: float,
        extra: dict | None = None,
        mode: str = "create",
    ):
        self.root = location(root)
        low = S.check_float_list(action_low, "action_low")
        high = S.check_float_list(action_high, "action_high")
        if len(low) != len(high) or not low:
            raise DatasetError(
                f"action_low ({len(low)} values) and action_high ({len(high)}) must be non-empty and equal-length"
            )
        if any(lo > hi for lo, hi in zip(low, high, strict=True)):
            raise DatasetError(f"action_low {low} exceeds action_high {high} in some dimension")
        if len(tuple(image_size)) != 2 or min(int(s) for s in image_size) < 1:
            raise DatasetError(f"image_size must be (H, W) with positive ints; got {image_size!r}")
        if int(proprio_dim) < 0:
            raise DatasetError(f"proprio_dim must be >= 0 (got {proprio_dim}); 0 means no proprio")
        if not float(fps) > 0:
            raise DatasetError(f"fps must be positive; got {fps!r}")
        S.to_json(extra or {}, "extra")
        meta = {
            "format": S.FORMAT,
            "format_version": S.FORMAT_VERSION,
            "env_id": str(env_id),
            "image_size": [int(s) for s in image_size],
            "action_low": low,
            "action_high": high,
            "action_dim": len(low),
            "state_names": S.check_state_names(state_names),
            "proprio_dim": int(proprio_dim),
            "fps": float(fps),
            "worldjepa_version": worldjepa.__version__,
            "extra": dict(extra or {}),
        }
        # Committed low-dimensional columns, kept to recompute stats.json on every commit.
        self._committed = {"action": [], "proprio": [], "state": []}
        self._num_committed = 0
        self._pending: list[tuple[pa.Table, dict]] = []
        self._closed = False
        self.shared = mode == "shared"
        if mode == "shared":
            mode = "append" if (self.root / S.STEPS).exists() else "create"
        if mode == "create":
            if self.root.exists() and not self.root.is_dir():
                raise DatasetError(f"{self.root} is a file; choose a directory path for the dataset")
            if (self.root / S.STEPS).exists() or (self.root / S.EPISODES).exists():
                raise DatasetError(f"{self.root} already holds a dataset; write to another path")
            self.meta = meta
            self._next_idx = 0
        elif mode == "append":
            self.meta = self._open_existing(meta)
        else:
            raise DatasetError(f"unknown mode {mode!r}; use 'create', 'append' or 'shared'")
        self._schema = S.steps_schema(self.meta)

    # ------------------------------------------------------------------ append mode
    def _open_existing(self, meta: dict) -> dict:

        steps_path = self.root / S.STEPS
        if not steps_path.exists():
            raise DatasetError(f"{self.root} holds no dataset to append to (no {S.STEPS}); use mode='create'")
        try:
            steps = open_lance(steps_path)
        except (OSError, ValueError, RuntimeError) as e:
            raise DatasetError(f"{steps_path} is not a readable Lance table ({S.short_error(e)})") from e
        old = S.decode_meta(steps.schema, steps_path)
        self._check_compatible(meta, old)
        changed = [k for k in ("action_low", "action_high", "fps", "extra") if old.get(k) != meta[k]]
        if changed:
            log.warning(
                "%s: appending keeps the dataset's %s; this writer's differ", self.root, ", ".join(changed)
            )
        old["image_size"] = list(old["image_size"])
        seen = steps.to_table(columns=["episode_idx"]).column("episode_idx").to_numpy()
        next_idx = int(seen.max()) + 1 if len(seen) else 0
        if (self.root / S.EPISODES).exists() and not self.shared:  # shared: stats come from the dataset
            from worldjepa.datasets.reader import open_dataset

            ds = open_dataset(self.root)
            cols = ds.load_columns(("action", "proprio", "state"), committed_only=True)
            for k in self._committed:
                self._committed[k].append(cols[k])
            self._num_committed = ds.num_episodes
            next_idx = max(next_idx, int(ds.episode_ids.max()) + 1)
            if ds.num_steps < steps.count_rows():
                log.info(
                    "%s: %d steps rows belong to no committed episode (an interrupted commit); ignoring them",
                    self.root,
                    steps.count_rows() - ds.num_steps,
                )
        self._next_idx = next_idx
        return old

    def _check_compatible(self, meta: dict, old: dict) -> None:
        for key in ("env_id", "image_size", "action_dim", "proprio_dim", "state_names"):
            mine = tuple(meta[key]) if key == "image_size" else meta[key]
            theirs = tuple(old[key]) if key == "image_size" else old[key]
            if theirs != mine:
                raise DatasetError(
                    f"cannot append to {self.root}: {key} is {mine!r} here but {old[key]!r} in the dataset; "
                    "record into another path"
                )

    # ------------------------------------------------------------------ buffering
    def add_episode(self, pixels, action, proprio, state, is_success, seed: int, factors: dict,
                    episode_idx: int | None = None) -> int:  # fmt: skip
        """Buffer one episode of L steps and return its episode_idx (``episode_idx``, or the next
        free one; shared writers must give theirs, disjoint from the other writers').

        pixels: (L, H, W, 3) uint8, action: (L, A) float, proprio: (L, P) float,
        state: (L, n_state) float (columns in state_names order), is_success: (L,) bool.
        """
        if self.shared and episode_idx is None:
            raise DatasetError("a shared writer needs an explicit episode_idx per episode (e.g. its seed)")
        if self._closed:
            raise DatasetError(f"the writer for {self.root} is closed; open a new one with mode='append'")
        pixels = np.asarray(pixels)
        h, w = self.meta["image_size"]
        if pixels.dtype != np.uint8 or pixels.ndim != 4 or pixels.shape[1:] != (h, w, 3) or len(pixels) == 0:
            raise DatasetError(
                f"pixels must be uint8 (L, {h}, {w}, 3) with L >= 1; got {pixels.dtype} {pixels.shape} "
                f"(render at image_size=({h}, {w}) in RGB)"
            )
        length = len(pixels)
        a_dim, p_dim, names = self.meta["action_dim"], self.meta["proprio_dim"], self.meta["state_names"]
        action = _float_2d(action, "action", length, a_dim, "action_dim")
        proprio = _float_2d(
            np.zeros((length, 0)) if proprio is None else proprio, "proprio", length, p_dim, "proprio_dim"
        )
        state = _float_2d(
            np.zeros((length, 0)) if state is None else state,
            "state",
            length,
            len(names),
            f"len(state_names) = {names}",
        )
        success = np.asarray(is_success)
        if success.shape != (length,) or not (success.dtype == bool or np.isin(success, (0, 1)).all()):
            raise DatasetError(f"is_success must be bool ({length},); got {success.dtype} {success.shape}")
        success = success.astype(bool)
        if not isinstance(factors, dict):
            raise DatasetError(
                f"factors must be a dict of realised factor values; got {type(factors).__name__}"
            )
        try:
            seed = int(seed)
        except (TypeError, ValueError):
            raise DatasetError(f"seed must be an int; got {seed!r}") from None

        idx = self._next_idx if episode_idx is None else int(episode_idx)
        columns = [
            pa.array(np.full(length, idx, np.int64)),
            pa.array(np.arange(length, dtype=np.int32)),
            S.frames_to_arrow(pixels),
            pa.FixedSizeListArray.from_arrays(pa.array(action.reshape(-1)), a_dim),
            *([pa.FixedSizeListArray.from_arrays(pa.array(proprio.reshape(-1)), p_dim)] if p_dim else []),
            *[pa.array(state[:, i]) for i in range(len(names))],
            pa.array(success),
        ]
        steps = pa.Table.from_arrays(columns, schema=self._schema)
        episode = {
            "episode_idx": idx,
            "env_id": self.meta["env_id"],
            "seed": seed,
            "length": length,
            "success": bool(success.any()),
            "factors": S.to_json(factors, "factors"),
            "_stats": (action, proprio, state),
        }
        self._pending.append((steps, episode))
        self._next_idx = max(self._next_idx, idx) + 1 if episode_idx is None else self._next_idx
        return idx

    @property
    def next_episode_idx(self) -> int:
        """The episode_idx the next ``add_episode`` will return."""
        return self._next_idx

    @property
    def num_pending(self) -> int:
        """Episodes buffered and not yet committed."""
        return len(self._pending)

    # ------------------------------------------------------------------ committing
    def commit(self) -> int:
        """Append every buffered episode; returns how many were committed. Atomic per commit."""
        if not self._pending:
            return 0

        self.root.mkdir(parents=True, exist_ok=True)
        steps_path, ep_path = self.root / S.STEPS, self.root / S.EPISODES
        try:
            if self.shared:
                self._create_empty(steps_path, self._schema)
                self._create_empty(ep_path, S.episodes_schema())
            before = (
                {f.fragment_id for f in open_lance(steps_path).get_fragments()}
                if steps_path.exists()
                else set()
            )
            written = self._write(pa.concat_tables([t for t, _ in self._pending]), steps_path)
            starts = self._locate(written, before)
            rows = [
                {k: v for k, v in ep.items() if k != "_stats"} | {"start_row": starts[ep["episode_idx"]]}
                for _, ep in self._pending
            ]
            self._write(pa.Table.from_pylist(rows, schema=S.episodes_schema()), ep_path)
        except (OSError, ValueError, RuntimeError) as e:
            raise DatasetError(
                f"could not commit {len(self._pending)} episodes to {self.root} ({S.short_error(e)}); "
                "previously committed episodes are intact, the buffered ones are kept for a retry"
            ) from e
        for _, ep in self._pending:
            for k, arr in zip(("action", "proprio", "state"), ep["_stats"], strict=True):
                self._committed[k].append(arr)
        n = len(self._pending)
        self._num_committed += n
        self._pending = []
        if self.shared:  # the other writers' episodes count too: the statistics of the whole dataset
            from worldjepa.datasets.stats import recompute_stats

            recompute_stats(self.root)
        else:
            cat = {k: np.concatenate(v) for k, v in self._committed.items()}
            write_stats(
                self.root,
                dataset_stats(
                    cat["action"], cat["proprio"], cat["state"], self.meta["state_names"], self._num_committed
                ),
            )
        log.debug("committed %d episodes to %s", n, self.root)
        return n

    def _write(self, table: pa.Table, path: Path):
        """Append ``table`` to the Lance table at ``path`` (creating it); -> the committed version."""
        if not path.exists():  # never for a shared writer: it created both tables empty first
            return write_lance(table, path, mode="create", data_storage_version=S.LANCE_FILE_VERSION)
        return write_lance(table, path, mode="append")

    def _create_empty(self, path, schema) -> None:
        """Shared writers create each table empty before anyone appends: two writers racing to
        create it can only clobber an empty version 1 with an identical one, never data (two
        racing creates *with* data keep one writer's rows and lose the other's)."""
        if path.exists():
            return
        try:
            write_lance(pa.Table.from_batches([], schema=schema), path, mode="create",
                        data_storage_version=S.LANCE_FILE_VERSION)  # fmt: skip
        except (OSError, ValueError, RuntimeError):
            if not path.exists():
                raise
        if path.name == S.STEPS:
            self._check_compatible(self.meta, S.decode_meta(open_lance(path).schema, path))

    def _locate(self, written, before: set[int]) -> dict[int, int]:
        """-> episode_idx -> the row where it starts, for the pending episodes just written to
        ``written`` (the steps table at our commit). Our rows are in the fragments that were not
        there before, after whatever concurrent writers committed first."""
        ours = {ep["episode_idx"] for _, ep in self._pending}
        starts: dict[int, int] = {}
        offset = 0
        for frag in written.get_fragments():
            n = frag.count_rows()
            if frag.fragment_id not in before:
                t = frag.to_table(columns=["episode_idx", "step_idx"])
                ep, step = t.column("episode_idx").to_numpy(), t.column("step_idx").to_numpy()
                for pos in np.flatnonzero(step == 0):
                    if int(ep[pos]) in ours:
                        starts[int(ep[pos])] = offset + int(pos)
            offset += n
        missing = ours - set(starts)
        if missing:
            raise RuntimeError(
                f"the rows of episodes {sorted(missing)[:5]} are not where this commit wrote them"
            )
        return starts

    def compact(self) -> None:
        """Merge each table's per-commit fragments into one and delete the files that only older
        versions use. Random windows read 1.2x faster from one fragment than from one per
        commit of 20 episodes (benchmarks/storage_formats.py). Row positions do not change, so episodes stay where
        episodes.lance says; a reader that still holds an older version reopens the latest one."""

        for name in (S.STEPS, S.EPISODES):
            path = self.root / name
            if not path.exists():
                continue
            try:
                ds = open_lance(path)
                if len(ds.get_fragments()) > 1:
                    ds.optimize.compact_files(target_rows_per_fragment=COMPACT_ROWS)
                    open_lance(path).cleanup_old_versions(older_than=timedelta(0))
            except (OSError, ValueError, RuntimeError) as e:
                # Compaction is an optimisation: the committed data is intact either way.
                log.warning("could not compact %s (%s); the data is intact", path, S.short_error(e))

    def close(self, compact: bool = True) -> None:
        """Commit what is left (then compact, see ``compact``; never for a shared writer: cleaning
        up old versions could delete a concurrent writer's files); the writer cannot be used
        afterwards."""
        if not self._closed:
            self.commit()  # if this raises, the writer stays open so the commit can be retried
            self._closed = True
            if compact and not self.shared:
                self.compact()

    def __enter__(self) -> DatasetWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _float_2d(x, name: str, length: int, dim: int, dim_name: str) -> np.ndarray:
    x = np.asarray(x)
    if x.shape != (length, dim) or not (
        np.issubdtype(x.dtype, np.floating) or np.issubdtype(x.dtype, np.integer)
    ):
        raise DatasetError(
            f"{name} must be a float array of shape ({length}, {dim}) (L, {dim_name}); got {x.dtype} {x.shape}"
        )
    x = x.astype(np.float32)
    if not np.isfinite(x).all():
        step = int(np.argwhere(~np.isfinite(x))[0, 0])
        raise DatasetError(f"{name} has a NaN or inf at step {step}; check the env before recording")
    return x
