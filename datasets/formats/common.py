"""What every format reads into and writes from: ``EpisodeSource`` (metadata + a stream of ``Episode``s).

Readers load the low-dimensional columns up front (they are small) and decode pixels one
episode at a time, so converting a dataset never holds more than one episode's frames.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from worldjepa.errors import DatasetError

log = logging.getLogger(__name__)

# Written into every exported dataset so a later import restores what the format cannot hold.
META_FILE = "worldjepa_meta.json"
MINMAX = "min/max of the imported actions"  # extra["action_bounds"] when no source had better


@dataclass
class Episode:
    """One episode of L steps: pixels (L, H, W, 3) uint8, action (L, A) float32,
    proprio (L, P) float32, state (L, n_state) float32, is_success (L,) bool."""

    pixels: np.ndarray
    action: np.ndarray
    proprio: np.ndarray
    state: np.ndarray
    is_success: np.ndarray
    seed: int = -1
    factors: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.action)


@dataclass
class SourceInfo:
    """Dataset-level metadata; ``action_low/high`` default to the data's min/max."""

    image_size: tuple[int, int]
    action_dim: int
    proprio_dim: int
    state_names: list[str]
    fps: float
    env_id: str = "imported"
    action_low: list[float] | None = None
    action_high: list[float] | None = None
    extra: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        return {
            "image_size": list(self.image_size), "action_dim": self.action_dim,
            "proprio_dim": self.proprio_dim, "state_names": list(self.state_names), "fps": self.fps,
            "env_id": self.env_id, "action_low": self.action_low, "action_high": self.action_high,
            "extra": self.extra,
        }  # fmt: skip

    @classmethod
    def from_json(cls, d: dict) -> SourceInfo:
        return cls(**{**d, "image_size": tuple(d["image_size"])})


@dataclass
class EpisodeSource:
    """``info`` + ``num_episodes`` + ``episodes()`` -> iterator of ``Episode`` (read lazily)."""

    info: SourceInfo
    num_episodes: int
    episodes: Callable[[], Iterator[Episode]]
    lossy: bool = False  # whether the frames were decoded from a lossy codec (mp4, JPEG)


def episode_bounds(lengths) -> np.ndarray:
    """(E,) episode lengths -> (E + 1,) row offsets of each episode's first row (and the end)."""
    return np.concatenate([[0], np.cumsum(np.asarray(lengths, dtype=np.int64))])


def split_rows(x: np.ndarray | None, bounds: np.ndarray, i: int, width: int) -> np.ndarray:
    """Rows of episode i of a flat (N, D) column, or (L, width) zeros when the column is absent."""
    if x is None:
        return np.zeros((int(bounds[i + 1] - bounds[i]), width), np.float32)
    return np.asarray(x[bounds[i] : bounds[i + 1]], dtype=np.float32).reshape(
        int(bounds[i + 1] - bounds[i]), -1
    )


def as_2d(x, name: str, path, n: int | None = None) -> np.ndarray:
    """A numeric column of N rows -> (N, D) float32, with a named error for anything else."""
    arr = np.asarray(x)
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        raise DatasetError(f"{path}: {name} must be numeric; got dtype {arr.dtype}")
    arr = arr.astype(np.float32).reshape(len(arr), -1) if arr.ndim != 2 else arr.astype(np.float32)
    if n is not None and len(arr) != n:
        raise DatasetError(f"{path}: {name} has {len(arr)} rows but there are {n} frames; they must match")
    return arr


def column_2d(table, name: str, path) -> np.ndarray:
    """A numeric column of a pyarrow table -> (N, D) float32 without per-row Python objects:
    fixed-size lists (Lance, our exports), equal-length lists (parquet writers), or scalars."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from worldjepa.datasets.schema import fixed_list_to_numpy

    col = table.column(name).combine_chunks()
    n = len(col)
    if pa.types.is_fixed_size_list(col.type):
        return as_2d(fixed_list_to_numpy(col, col.type.list_size), name, path, n)
    if pa.types.is_list(col.type) or pa.types.is_large_list(col.type):
        lengths = pc.list_value_length(col).to_numpy(zero_copy_only=False)
        if n and (lengths != lengths[0]).any():
            raise DatasetError(
                f"{path}: {name} rows have different lengths {sorted(set(lengths.tolist()))[:5]}"
            )
        flat = col.flatten().to_numpy(zero_copy_only=False)
        return as_2d(flat.reshape(n, -1) if n else flat.reshape(0, 0), name, path, n)
    return as_2d(col.to_numpy(zero_copy_only=False), name, path, n)


def check_frames(frames: np.ndarray, path, what: str = "pixels") -> np.ndarray:
    """(L, H, W, 3) uint8 (or (L, 3, H, W), transposed) -> (L, H, W, 3) uint8, or a named error."""
    frames = np.asarray(frames)
    if frames.ndim == 4 and frames.shape[-1] != 3 and frames.shape[1] == 3:
        frames = frames.transpose(0, 2, 3, 1)
    if frames.dtype != np.uint8 or frames.ndim != 4 or frames.shape[-1] != 3:
        raise DatasetError(
            f"{path}: {what} must be uint8 RGB frames (N, H, W, 3); got {frames.dtype} {frames.shape}"
        )
    return frames


def read_meta_file(root: Path) -> dict | None:
    """The worldjepa metadata an export left beside the data, if any."""
    path = Path(root) / META_FILE
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text())
    except ValueError as e:
        raise DatasetError(f"{path} is not valid JSON ({e}); delete it to import without it") from None


def unpadded_size(meta: dict | None, found: tuple[int, int]) -> tuple[int, int]:
    """The frame size an export recorded when ``found`` (height, width, as decoded) is it padded
    to even for yuv420p (see ``videofile``); else ``found``. Crop frames with ``[:, :h, :w]``."""
    from worldjepa.video import even_size

    saved = (meta or {}).get("info", {}).get("image_size")
    if saved and tuple(saved) != tuple(found) and even_size(*saved) == tuple(found):
        return int(saved[0]), int(saved[1])
    return int(found[0]), int(found[1])


def export_meta(info: SourceInfo, episodes: list[dict], lossy: bool) -> dict:
    """What an export keeps for an exact round trip: info, per-episode seed/factors, whether
    its frames were encoded lossily."""
    return {"info": info.to_json(), "episodes": episodes, "lossy": bool(lossy)}


def write_meta_file(root: Path, info: SourceInfo, episodes: list[dict], lossy: bool) -> None:
    (Path(root) / META_FILE).write_text(json.dumps(export_meta(info, episodes, lossy), indent=1))


def is_lossy(meta: dict | None) -> bool:
    """Frames of a video export are exact only when the export says it wrote them losslessly."""
    return bool((meta or {}).get("lossy", True))


def episode_meta(meta: dict | None, i: int) -> dict:
    """(seed, factors) of episode i from an export's metadata file, or defaults."""
    eps = (meta or {}).get("episodes") or []
    return eps[i] if i < len(eps) else {"seed": -1, "factors": {}}


def env_facts(env_id: str, action_dim: int, where) -> dict:
    """What the env ``env_id`` says about its data: action_low / action_high (A,) lists and fps
    (1 / its step duration), checked against the data's action size."""
    from worldjepa.envs import make_env

    env = make_env(env_id)
    try:
        low = np.asarray(env.action_space.low, np.float64).reshape(-1)
        high = np.asarray(env.action_space.high, np.float64).reshape(-1)
        dt = getattr(env.unwrapped, "dt", None)
        fps = 1.0 / float(dt) if dt else float(env.metadata.get("render_fps") or 0.0)
    finally:
        env.close()
    if len(low) != action_dim:
        raise DatasetError(
            f"{where}: env={env_id} takes {len(low)}-dim actions but the data's are {action_dim}-dim; "
            "pass the env the data was recorded in"
        )
    return {"action_low": low.tolist(), "action_high": high.tolist(), "fps": fps}


def attach_env(info: SourceInfo, env: str | None, where) -> SourceInfo:
    """``info`` with env id ``env`` (the ``env=`` import option; None: unchanged), whose action
    space and frame rate fill in what the data does not record."""
    if not env:
        return info
    facts = env_facts(env, info.action_dim, where)
    info.env_id = env
    if info.action_low is None or info.action_high is None or info.extra.get("action_bounds") == MINMAX:
        info.action_low, info.action_high = facts["action_low"], facts["action_high"]
        info.extra = {**info.extra, "action_bounds": f"the action space of {env}"}
    if not info.fps and facts["fps"]:
        info.fps = facts["fps"]
    return info


def info_from(meta: dict | None, action: np.ndarray, *, env: str | None = None, where="the imported data",
              **found) -> SourceInfo:  # fmt: skip
    """A SourceInfo from what a reader found in the files (``action``: (N, A), all of them;
    ``fps`` None when they record none; optional recorded ``action_low``/``action_high``),
    completed by an export's metadata, then by the env ``env`` (``attach_env``); failing
    those, action bounds are the data's min/max and fps 10, each with a warning naming the
    option that sets it."""
    info = None
    if meta and "info" in meta:
        saved = SourceInfo.from_json(meta["info"])
        if all(getattr(saved, k) == found[k] for k in ("image_size", "action_dim", "proprio_dim")):
            info = saved
    if info is None:
        info = SourceInfo(**{**found, "fps": float(found.get("fps") or 0.0)})
    info = attach_env(info, env, where)
    if info.action_low is None or info.action_high is None:
        if len(action):
            info.action_low = np.asarray(action, np.float64).min(0).tolist()
            info.action_high = np.asarray(action, np.float64).max(0).tolist()
            info.extra = {**info.extra, "action_bounds": MINMAX}
            log.warning(
                "%s records no action bounds: using the min/max of its actions; "
                "pass env=<id> to take them from the env's action space", where,
            )  # fmt: skip
        else:
            info.action_low, info.action_high = [-1.0] * info.action_dim, [1.0] * info.action_dim
    if not info.fps:
        info.fps = 10.0
        log.warning("%s records no frame rate: assuming 10 fps; pass fps=<hz> (or env=<id>)", where)
    return info
