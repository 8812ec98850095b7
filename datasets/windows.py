"""Training windows over recorded episodes, and the DataLoader that batches them.

A window of ``num_steps`` frames at frameskip ``fs`` starting at env step t of one episode holds
the frames at steps t, t+fs, ..., t+(T-1)*fs and, for each kept frame k, the action block of
steps [t+k*fs, t+(k+1)*fs) concatenated step-major into a vector of fs*A. Windows never cross
episodes: the valid starts are every t with t + T*fs <= L.

Only pixels are read from disk, with one ``take`` per batch that fetches exactly the kept frames;
actions, proprio and state are loaded into memory once, at construction.
"""

from __future__ import annotations

import math
import os
import warnings
from collections.abc import Sequence

import numpy as np
import torch
from tensordict import TensorDict
from torch.utils.data import Dataset, get_worker_info

from worldjepa.datasets.reader import RolloutDataset, open_dataset
from worldjepa.errors import DatasetError

WINDOW_COLUMNS = ("pixels", "action", "proprio", "state")


class WindowDataset(Dataset):
    """Windows of ``num_steps`` frames at ``frameskip``; items are TensorDicts.

    ``ds[i]`` -> TensorDict, batch_size []:
        pixels (T, 3, H, W) uint8, action (T, fs*A) float32, proprio (T, P) float32,
        state (T, n_state) float32 (the requested ``columns``), episode_idx () int64,
        start () int64 (env step of the first frame within its episode).
    ``ds.__getitems__(indices)`` -> the same with a leading batch dimension B.
    """

    def __init__(
        self,
        root: str | os.PathLike,
        num_steps: int,
        frameskip: int = 1,
        columns: Sequence[str] = ("pixels", "action"),
        episodes: Sequence[int] | None = None,
    ):
        if int(num_steps) < 1 or int(frameskip) < 1:
            raise DatasetError(
                f"num_steps and frameskip must be >= 1; got num_steps={num_steps}, frameskip={frameskip}"
            )
        unknown = [c for c in columns if c not in WINDOW_COLUMNS]
        if unknown:
            raise DatasetError(
                f"WindowDataset: unknown column(s) {unknown}; available: {', '.join(WINDOW_COLUMNS)}"
            )
        self.root = str(root)
        self.num_steps, self.frameskip = int(num_steps), int(frameskip)
        self.columns = tuple(columns)
        reader = open_dataset(root)
        self._reader: RolloutDataset | None = reader
        self.image_size = reader.image_size
        self.action_dim = reader.action_dim
        self.state_names = reader.state_names

        pos = np.arange(reader.num_episodes)
        if episodes is not None:
            wanted = np.unique(np.asarray(list(episodes), dtype=np.int64))
            missing = np.setdiff1d(wanted, reader.episode_ids)
            if missing.size:
                raise DatasetError(
                    f"episodes {missing[:10].tolist()} are not in {root} "
                    f"(it has {reader.num_episodes} episodes, ids {reader.episode_ids[0]}..{reader.episode_ids[-1]})"
                )
            pos = np.searchsorted(reader.episode_ids, wanted)
        span = self.num_steps * self.frameskip
        lengths = reader.episode_lengths[pos]
        n_win = np.maximum(lengths - span + 1, 0)
        if n_win.sum() == 0:
            raise DatasetError(
                f"no episode of {root} is long enough for num_steps={self.num_steps} x frameskip={self.frameskip} "
                f"= {span} steps (longest selected: {int(lengths.max()) if len(lengths) else 0}); "
                "lower num_steps or frameskip, or record longer episodes"
            )
        # One entry per window: its episode, first steps-table row and start step.
        self._win_episode = np.repeat(reader.episode_ids[pos], n_win)
        offsets = np.concatenate([np.arange(n) for n in n_win])
        self._win_start = offsets.astype(np.int64)
        self._win_row = np.repeat(reader.episode_starts[pos], n_win) + self._win_start
        small = [c for c in self.columns if c != "pixels"]
        self._small = reader.load_columns(small) if small else {}

    # ------------------------------------------------------------------ pickling / lazy Lance
    def __getstate__(self):
        state = self.__dict__.copy()
        state["_reader"] = None  # each worker opens its own Lance handle (Lance is not fork-safe)
        return state

    @property
    def reader(self) -> RolloutDataset:
        if self._reader is None:
            self._reader = open_dataset(self.root)
        return self._reader

    @property
    def window_episodes(self) -> np.ndarray:
        """(N,) int64: the episode of each window (``StepBatches(groups=...)`` groups by it)."""
        return self._win_episode

    # ------------------------------------------------------------------ indexing
    def __len__(self) -> int:
        return len(self._win_row)

    def frame_rows(self, indices) -> tuple[np.ndarray, np.ndarray]:
        """indices: (B,) window indices -> ((B, T) steps-table rows of the kept frames, (B,) indices >= 0)."""
        idx = np.asarray(indices, dtype=np.int64).reshape(-1)
        n = len(self)
        if idx.size and (idx.min() < -n or idx.max() >= n):
            raise IndexError(f"window index out of range for {n} windows")
        idx = np.where(idx < 0, idx + n, idx)
        return self._win_row[idx, None] + self.frameskip * np.arange(self.num_steps), idx

    def __getitems__(self, indices: list[int]) -> TensorDict:
        """indices: list of B window indices -> TensorDict with batch_size [B] (see class docstring)."""
        rows, idx = self.frame_rows(indices)
        b, t = rows.shape
        out: dict[str, torch.Tensor] = {}
        for c in self.columns:
            if c == "pixels":
                out[c] = self._pixels(rows)
            elif c == "action":
                # (B, T*fs) consecutive steps from each window start -> (B, T, fs*A), step-major blocks
                steps = self._win_row[idx, None] + np.arange(t * self.frameskip)
                out[c] = _batch_tensor(self._small[c][steps].reshape(b, t, -1))
            else:
                out[c] = _batch_tensor(self._small[c][rows])
        out["episode_idx"] = _batch_tensor(self._win_episode[idx])
        out["start"] = _batch_tensor(self._win_start[idx])
        return TensorDict(out, batch_size=[b])

    def _pixels(self, rows: np.ndarray) -> torch.Tensor:
        """rows: (B, T) steps-table rows -> (B, T, 3, H, W) uint8, read with one ``take``."""
        b, t = rows.shape
        h, w = self.image_size
        frames, inverse = self.reader.take_unique_frames(rows.reshape(-1))  # (U, H, W, 3), (B*T,)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # read-only Arrow buffer: it is only read
            src = torch.from_numpy(frames)
        out = _empty((b, t, 3, h, w), torch.uint8)
        # One pass gathers the window order and moves channels first (3x faster than gather,
        # then permute + contiguous).
        torch.index_select(
            src.permute(0, 3, 1, 2), 0, torch.from_numpy(inverse), out=out.view(b * t, 3, h, w)
        )
        return out

    def __getitem__(self, index: int) -> TensorDict:
        return self.__getitems__([int(index)])[0]

    def __repr__(self) -> str:
        return (
            f"WindowDataset({self.root!r}, num_steps={self.num_steps}, frameskip={self.frameskip}, "
            f"columns={self.columns}, windows={len(self)})"
        )


def _empty(shape: tuple[int, ...], dtype: torch.dtype) -> torch.Tensor:
    """An uninitialised tensor; in a DataLoader worker, allocated in shared memory right away so
    handing it to the main process costs no extra copy (what torch's default_collate does)."""
    if get_worker_info() is None:
        return torch.empty(shape, dtype=dtype)
    numel = math.prod(shape)
    storage = torch.UntypedStorage._new_shared(numel * dtype.itemsize)
    return torch.empty(0, dtype=dtype).set_(storage, 0, (numel,)).view(shape)


def _batch_tensor(x: np.ndarray) -> torch.Tensor:
    """A numpy batch column -> tensor (shared memory in a worker, see ``_empty``)."""
    if get_worker_info() is None:
        return torch.from_numpy(np.ascontiguousarray(x))
    out = _empty(x.shape, torch.from_numpy(x[:0]).dtype)
    out.numpy()[...] = x
    return out


def split_episodes(episode_ids, val_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Deterministic split of episode ids -> (train_ids, val_ids), both sorted int64 and disjoint.

    Splits by episode, never by window, so no val frame is seen in training. val gets
    round(val_fraction * n) episodes, and at least 1 when val_fraction > 0.
    """
    ids = np.unique(np.asarray(list(episode_ids), dtype=np.int64))
    if not 0.0 <= val_fraction < 1.0:
        raise DatasetError(f"val_fraction must be in [0, 1); got {val_fraction}")
    if val_fraction == 0:
        return ids, ids[:0]
    if len(ids) < 2:
        raise DatasetError(f"cannot split {len(ids)} episode(s) into train and val; record at least 2")
    n_val = min(max(1, round(val_fraction * len(ids))), len(ids) - 1)
    perm = np.random.default_rng(seed).permutation(ids)
    return np.sort(perm[n_val:]), np.sort(perm[:n_val])
