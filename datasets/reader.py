"""Read a recorded rollout dataset: ``open_dataset(root) -> RolloutDataset``.

The episodes table is the source of truth: only the episodes listed there are visible, and
each one is located in the steps table by its ``start_row`` and ``length``. Steps rows that no
episode points at (left by a crash between the two writes of a commit) are ignored.

The Lance handle on the steps table is opened lazily and dropped when pickled, so a
``RolloutDataset`` can be sent to spawn/forkserver workers (Lance is not fork-safe).
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import numpy as np

from worldjepa.datasets import schema as S
from worldjepa.datasets.stats import read_stats
from worldjepa.datasets.storage import location, open_lance
from worldjepa.errors import DatasetError

log = logging.getLogger(__name__)

EPISODE_COLUMNS = ("pixels", "action", "proprio", "state", "is_success", "step_idx")
_READ_ERRORS = (OSError, ValueError, RuntimeError)


def _open_lance(path: Path):
    try:
        return open_lance(path)
    except _READ_ERRORS as e:
        raise DatasetError(
            f"{path} is not a readable Lance table ({S.short_error(e)}); re-record the dataset"
        ) from e


def _read_latest(path: Path, attempts: int = 3):
    """The whole table at its latest version. A writer that compacts between our open and our
    read deletes the files the opened version lists; the next open sees the compacted ones."""
    for attempt in range(attempts):
        try:
            return _open_lance(path).to_table()
        except _READ_ERRORS as e:
            if attempt == attempts - 1:
                raise DatasetError(
                    f"{path} cannot be read ({S.short_error(e)}); re-record the dataset"
                ) from e


def open_dataset(root: str | os.PathLike) -> RolloutDataset:
    """Open the dataset at ``root`` (a directory with steps.lance, episodes.lance, stats.json)."""
    return RolloutDataset(root)


class RolloutDataset:
    """Random access to the committed episodes of a dataset. Frames come back as uint8 (N, H, W, 3)."""

    def __init__(self, root: str | os.PathLike):
        self.root = location(root)
        if not self.root.exists():
            raise DatasetError(f"{self.root} does not exist; create a dataset there with `worldjepa collect`")
        for name in (S.STEPS, S.EPISODES):
            if not self.root.is_dir() or not (self.root / name).exists():
                raise DatasetError(
                    f"{self.root} is not a worldjepa dataset (no {name}); record one with `worldjepa collect`, "
                    "or bring other data in with `worldjepa data import <src> <dst>`"
                )
        # Episodes first: any steps version opened afterwards holds every row they point at.
        ep_path = self.root / S.EPISODES
        table = _read_latest(ep_path)
        _require(table.column_names, S.EPISODE_COLUMNS, ep_path)
        if table.num_rows == 0:
            raise DatasetError(
                f"{self.root} holds 0 committed episodes; record some with `worldjepa collect`"
            )
        table = table.sort_by("episode_idx")
        self._episode_table = table
        self.episode_ids = table.column("episode_idx").to_numpy().astype(np.int64)
        self.episode_starts = table.column("start_row").to_numpy().astype(np.int64)
        self.episode_lengths = table.column("length").to_numpy().astype(np.int64)
        self._pos = {int(e): i for i, e in enumerate(self.episode_ids)}

        self._steps = _open_lance(self.root / S.STEPS)
        self.meta = S.decode_meta(self._steps.schema, self.root / S.STEPS)
        self.state_names: list[str] = list(self.meta["state_names"])
        _require(self._steps.schema.names, S.step_columns(self.meta), self.root / S.STEPS)
        rows = self._steps.count_rows()
        ends = self.episode_starts + self.episode_lengths
        if ends.max() > rows:
            bad = int(self.episode_ids[np.argmax(ends > rows)])
            raise DatasetError(
                f"{self.root}: episode {bad} points past the end of steps.lance ({rows} rows); "
                "the dataset is corrupt, re-record it"
            )
        self._stats: dict | None = None

    # ------------------------------------------------------------------ pickling
    def __getstate__(self):
        state = self.__dict__.copy()
        state["_steps"] = None  # Lance handles are not fork/pickle-safe: each process opens its own
        return state

    @property
    def steps(self):
        """The Lance steps table, opened on first use in this process."""
        if self._steps is None:
            self._steps = _open_lance(self.root / S.STEPS)
        return self._steps

    # ------------------------------------------------------------------ properties
    @property
    def image_size(self) -> tuple[int, int]:
        return tuple(self.meta["image_size"])

    @property
    def action_dim(self) -> int:
        return int(self.meta["action_dim"])

    @property
    def proprio_dim(self) -> int:
        return int(self.meta["proprio_dim"])

    @property
    def num_episodes(self) -> int:
        return len(self.episode_ids)

    def verify(self) -> None:
        """Check that every fragment of both tables is present and readable (cheap: Lance reads
        the files' footers) -> DatasetError naming the damage."""
        for name, table in ((S.STEPS, self.steps), (S.EPISODES, _open_lance(self.root / S.EPISODES))):
            try:
                table.validate()
            except OSError as exc:
                first = str(exc).split(", /")[0]
                raise DatasetError(
                    f"{self.root / name} is damaged ({first}); re-record it or restore a copy"
                ) from None

    @property
    def num_steps(self) -> int:
        return int(self.episode_lengths.sum())

    @property
    def episodes(self) -> list[dict]:
        """One dict per committed episode, sorted by episode_idx; ``factors`` decoded to a dict."""
        out = self._episode_table.to_pylist()
        for row in out:
            row["factors"] = json.loads(row["factors"]) if row["factors"] else {}
        return out

    @property
    def stats(self) -> dict:
        if self._stats is None:
            self._stats = read_stats(self.root)
            if self._stats.get("num_steps") != self.num_steps:
                # Concurrent writers (collect shard=i/N) or a crash between a commit and its
                # stats: the statistics of what is committed now, computed here (low-dim columns).
                from worldjepa.datasets.stats import dataset_stats

                log.info("%s/stats.json covers %s steps, the dataset %d: recomputing them",
                         self.root, self._stats.get("num_steps"), self.num_steps)  # fmt: skip
                cols = self.load_columns(("action", "proprio", "state"), committed_only=True)
                self._stats = dataset_stats(cols["action"], cols["proprio"], cols["state"], self.state_names,
                                            self.num_episodes)  # fmt: skip
        return self._stats

    def __len__(self) -> int:
        return self.num_episodes

    def __repr__(self) -> str:
        return (
            f"RolloutDataset({str(self.root)!r}, env_id={self.meta.get('env_id')!r}, "
            f"episodes={self.num_episodes}, steps={self.num_steps}, image_size={self.image_size})"
        )

    # ------------------------------------------------------------------ reading
    def _read_steps(self, read, what: str = "cannot be read"):
        """read(steps table) -> result. A writer may have compacted the table and removed the
        files this (older) handle points at; row positions survive compaction, so the latest
        version serves the same read."""
        try:
            return read(self.steps)
        except _READ_ERRORS as first:
            try:
                self._steps = _open_lance(self.root / S.STEPS)
                return read(self._steps)
            except (DatasetError, *_READ_ERRORS):
                raise DatasetError(
                    f"{self.root / S.STEPS} {what} ({S.short_error(first)}); the files are damaged, re-record"
                ) from first

    def _take(self, rows, columns: list[str]):
        return self._read_steps(lambda steps: steps.take(rows, columns=columns))

    def take_unique_frames(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """rows: (N,) steps-table rows -> (frames (U, H, W, 3) uint8 of the U distinct rows, sorted,
        read with ONE ``take``; inverse (N,) int64 with frames[inverse] == the N requested frames).

        ``frames`` may be a read-only view of the Arrow buffer.
        """
        rows = np.asarray(rows).reshape(-1)
        if rows.size == 0:
            return np.zeros((0, *self.image_size, 3), np.uint8), rows.astype(np.int64)
        if not np.issubdtype(rows.dtype, np.integer) or rows.min() < 0 or rows.max() >= self.num_steps:
            raise DatasetError(
                f"frame rows must be integers in [0, {self.num_steps}) (the steps of {self.root}); "
                f"got {rows.min()}..{rows.max()}"
            )
        rows = rows.astype(np.int64)
        uniq, inverse = np.unique(rows, return_inverse=True)
        frames = S.frames_to_numpy(self._take(uniq, ["pixels"]).column("pixels"), self.image_size)
        return frames, inverse.reshape(-1)

    def take_frames(self, rows: np.ndarray) -> np.ndarray:
        """rows: (N,) int steps-table row numbers -> (N, H, W, 3) uint8, read with ONE ``take``.

        Duplicate rows are fetched once. The result may be a read-only view of the Arrow buffer.
        """
        frames, inverse = self.take_unique_frames(rows)
        if len(frames) == len(inverse) and np.array_equal(inverse, np.arange(len(inverse))):
            return frames
        return frames[inverse]

    def episode_rows(self, episode_idx: int) -> np.ndarray:
        """episode_idx -> (L,) int64 steps-table rows of that episode."""
        pos = self._pos.get(int(episode_idx))
        if pos is None:
            raise DatasetError(
                f"episode {episode_idx} is not in {self.root} (it has {self.num_episodes} episodes, "
                f"ids {int(self.episode_ids[0])}..{int(self.episode_ids[-1])})"
            )
        start = self.episode_starts[pos]
        return np.arange(start, start + self.episode_lengths[pos], dtype=np.int64)

    def read_episode(self, episode_idx: int, columns=None) -> dict[str, np.ndarray]:
        """One episode of length L -> {"pixels": (L, H, W, 3) uint8, "action": (L, A) float32,
        "proprio": (L, P) float32, "state": (L, n_state) float32, "is_success": (L,) bool,
        "step_idx": (L,) int32}; ``columns`` picks a subset (default: all)."""
        columns = list(EPISODE_COLUMNS if columns is None else columns)
        _check_columns(columns, EPISODE_COLUMNS, "read_episode")
        table = self._take(self.episode_rows(episode_idx), self._lance_columns(columns))
        return self._to_numpy(table, columns, copy=True)

    def load_columns(self, columns=("action", "proprio", "state"), committed_only: bool = False) -> dict:
        """Small columns of the whole steps table -> {"action": (R, A), "proprio": (R, P),
        "state": (R, n_state), ...}, indexed by steps-table row (R = all rows), or only the
        committed rows in episode order when ``committed_only``."""
        columns = list(columns)
        _check_columns(columns, tuple(c for c in EPISODE_COLUMNS if c != "pixels"), "load_columns")
        names = self._lance_columns(columns)
        table = self._read_steps(lambda steps: steps.to_table(columns=names))
        out = self._to_numpy(table, columns, copy=False)
        if committed_only:
            rows = np.concatenate(
                [np.arange(s, s + n) for s, n in zip(self.episode_starts, self.episode_lengths, strict=True)]
            )
            out = {k: v[rows] for k, v in out.items()}
        return out

    def _lance_columns(self, columns: list[str]) -> list[str]:
        names: list[str] = []
        for c in columns:
            if c == "state":
                names += [S.state_column(n) for n in self.state_names]
            elif c != "proprio" or self.proprio_dim:
                names.append(c)
        return names or ["step_idx"]  # a column to count rows by when nothing else is stored

    def _to_numpy(self, table, columns: list[str], copy: bool) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        for c in columns:
            if c == "pixels":
                frames = S.frames_to_numpy(table.column("pixels"), self.image_size)
                out[c] = frames.copy() if copy else frames
            elif c == "action":
                out[c] = S.fixed_list_to_numpy(table.column(c), self.action_dim)
            elif c == "proprio" and not self.proprio_dim:
                out[c] = np.zeros((table.num_rows, 0), np.float32)
            elif c == "proprio":
                out[c] = S.fixed_list_to_numpy(table.column(c), self.proprio_dim)
            elif c == "state":
                out[c] = S.states_to_numpy(table, self.state_names)
            else:
                out[c] = table.column(c).to_numpy()
        return out


def _require(found, required, path: Path) -> None:
    missing = [c for c in required if c not in found]
    if missing:
        raise DatasetError(
            f"{path} has no {', '.join(repr(c) for c in missing)} column (found: {', '.join(found)}); "
            "was it written by another tool or an older worldjepa? Re-record it with `worldjepa collect`"
        )


def _check_columns(columns, allowed, where: str) -> None:
    unknown = [c for c in columns if c not in allowed]
    if unknown:
        raise DatasetError(f"{where}: unknown column(s) {unknown}; available: {', '.join(allowed)}")
