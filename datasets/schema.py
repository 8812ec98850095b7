"""On-disk layout of a worldjepa rollout dataset, and Arrow <-> numpy conversions.

A dataset is a directory::

    root/
      steps.lance     one row per env step, episode-contiguous (see ``steps_schema``)
      episodes.lance  one row per committed episode: the source of truth for readers
      stats.json      per-dimension action/proprio/state statistics over committed steps

Row t of an episode holds the observation at step t and the action taken after it; an
episode of L steps has L rows. The steps schema carries the dataset metadata as JSON under
``META_KEY``. Only the readers/writers in this package import this module, so importing
pyarrow at the top is fine (``import worldjepa.datasets`` stays light).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from worldjepa.errors import DatasetError

META_KEY = b"worldjepa"
FORMAT = "worldjepa.rollouts"
FORMAT_VERSION = 2  # 1: pixels as fixed_size_binary (still read); 2: compressed large_binary
# Frames are stored raw (lossless) in a large_binary column that Lance compresses with lz4 in
# its 2.1 file format. Measured on 20k TwoRoom frames at 64 px, 4-frame windows, batch 64
# (benchmarks/storage_formats.py): 234 MiB -> 4.1 MiB on disk (zstd-1: 4.8, PNG: 6.1), and
# windows read 1.9x faster than from an uncompressed fixed_size_binary column (less to read,
# cheap to inflate), 6% faster than zstd-1 and 25x faster than PNG. Older format-2 datasets
# hold zstd pages; the reader does not care which.
PIXEL_FIELD_METADATA = {"lance-encoding:compression": "lz4"}
LANCE_FILE_VERSION = "2.1"
STEPS = "steps.lance"
EPISODES = "episodes.lance"
STATS = "stats.json"
STATE_PREFIX = "state_"
# Columns every steps table has; state columns are added per state name.
BASE_STEP_COLUMNS = ("episode_idx", "step_idx", "pixels", "action", "proprio", "is_success")


def step_columns(meta: dict) -> list[str]:
    """The steps-table columns a dataset with this metadata has (no proprio column when P = 0:
    Lance rejects zero-length lists; imported data often has no proprio)."""
    base = [c for c in BASE_STEP_COLUMNS if c != "proprio" or meta["proprio_dim"] > 0]
    return base + [state_column(n) for n in meta["state_names"]]


EPISODE_COLUMNS = ("episode_idx", "env_id", "seed", "length", "success", "factors", "start_row")


def state_column(name: str) -> str:
    return STATE_PREFIX + name


def check_state_names(state_names) -> list[str]:
    names = [str(n) for n in state_names]
    for n in names:
        if not n or "." in n or not n.replace("_", "a").isalnum():
            raise DatasetError(
                f"state name {n!r} is not a valid column name; use letters, digits and '_' only (no dots)"
            )
    if len(set(names)) != len(names):
        raise DatasetError(f"state names must be unique; got {names}")
    return names


def steps_schema(meta: dict) -> pa.Schema:
    h, w = meta["image_size"]
    fields = [
        pa.field("episode_idx", pa.int64()),
        pa.field("step_idx", pa.int32()),
        pa.field("pixels", pa.large_binary(), metadata=PIXEL_FIELD_METADATA),
        pa.field("action", pa.list_(pa.float32(), meta["action_dim"])),
    ]
    if meta["proprio_dim"] > 0:
        fields.append(pa.field("proprio", pa.list_(pa.float32(), meta["proprio_dim"])))
    fields += [pa.field(state_column(n), pa.float32()) for n in meta["state_names"]]
    fields.append(pa.field("is_success", pa.bool_()))
    return pa.schema(fields, metadata={META_KEY: json.dumps(meta).encode()})


def episodes_schema() -> pa.Schema:
    return pa.schema(
        [
            pa.field("episode_idx", pa.int64()),
            pa.field("env_id", pa.string()),
            pa.field("seed", pa.int64()),
            pa.field("length", pa.int32()),
            pa.field("success", pa.bool_()),
            pa.field("factors", pa.string()),
            pa.field("start_row", pa.int64()),
        ]
    )


def decode_meta(schema: pa.Schema, path: Path) -> dict:
    raw = (schema.metadata or {}).get(META_KEY)
    if raw is None:
        raise DatasetError(
            f"{path} has no worldjepa metadata in its schema; it was not written by "
            "worldjepa.datasets.DatasetWriter (record it with `worldjepa collect`)"
        )
    try:
        meta = json.loads(raw)
    except ValueError as e:
        raise DatasetError(f"{path} has unreadable worldjepa metadata ({e}); re-record the dataset") from None
    meta["image_size"] = tuple(meta["image_size"])
    return meta


def to_json(obj: Any, what: str) -> str:
    """JSON-encode a user dict (factors, extra), turning numpy scalars/arrays into plain values."""

    def default(o):
        if isinstance(o, np.generic):
            return o.item()
        if isinstance(o, np.ndarray):
            return o.tolist()
        raise TypeError(f"{type(o).__name__} is not JSON serialisable")

    try:
        return json.dumps(obj, sort_keys=True, default=default)
    except (TypeError, ValueError) as e:
        raise DatasetError(
            f"{what} must be JSON-serialisable ({e}); pass plain numbers, strings, lists, dicts"
        ) from None


def short_error(e: BaseException) -> str:
    """First line of a lance/arrow error, without the Rust source locations."""
    text = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
    return text.split(", /")[0][:300]


# ---------------------------------------------------------------- Arrow -> numpy
def _combined(col) -> pa.Array:
    return col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col


def frames_to_arrow(pixels: np.ndarray) -> pa.Array:
    """pixels: (N, H, W, 3) uint8 -> large_binary array of N rows of H*W*3 raw bytes (no per-row copy)."""
    n, width = len(pixels), int(np.prod(pixels.shape[1:]))
    offsets = pa.py_buffer(np.arange(n + 1, dtype=np.int64) * width)
    return pa.LargeBinaryArray.from_buffers(
        pa.large_binary(), n, [None, offsets, pa.py_buffer(np.ascontiguousarray(pixels).tobytes())]
    )


def frames_to_numpy(col, image_size: tuple[int, int]) -> np.ndarray:
    """pixels column of N rows, each H*W*3 raw bytes (large_binary; fixed_size_binary in format
    1) -> (N, H, W, 3) uint8, a read-only view (no copy)."""
    arr = _combined(col)
    h, w = image_size
    width = h * w * 3
    if len(arr) == 0:
        return np.zeros((0, h, w, 3), np.uint8)
    if pa.types.is_fixed_size_binary(arr.type):
        flat = np.frombuffer(arr.buffers()[1], np.uint8, count=len(arr) * width, offset=arr.offset * width)
        return flat.reshape(len(arr), h, w, 3)
    offsets = np.frombuffer(arr.buffers()[1], np.int64, count=len(arr) + 1, offset=8 * arr.offset)
    if offsets[-1] - offsets[0] != len(arr) * width:
        raise DatasetError(
            f"pixels rows are not all {h}x{w}x3 = {width} bytes; the dataset is corrupt, re-record it"
        )
    flat = np.frombuffer(arr.buffers()[2], np.uint8, count=len(arr) * width, offset=int(offsets[0]))
    return flat.reshape(len(arr), h, w, 3)


def fixed_list_to_numpy(col, dim: int) -> np.ndarray:
    """fixed_size_list<float32>[D] column of N rows -> (N, D) float32."""
    arr = _combined(col)
    return arr.flatten().to_numpy(zero_copy_only=False).reshape(len(arr), dim)


def states_to_numpy(table: pa.Table, state_names: list[str]) -> np.ndarray:
    """The state_<name> float32 columns -> (N, n_state) float32 in state_names order."""
    cols = [_combined(table.column(state_column(n))).to_numpy(zero_copy_only=False) for n in state_names]
    if not cols:
        return np.zeros((table.num_rows, 0), np.float32)
    return np.stack(cols, axis=1).astype(np.float32, copy=False)


def check_float_list(values, name: str) -> list[float]:
    out = [float(v) for v in np.asarray(values, dtype=np.float64).reshape(-1)]
    if any(math.isnan(v) for v in out):
        raise DatasetError(f"{name} contains NaN; give finite bounds (or +-inf for unbounded)")
    return out
