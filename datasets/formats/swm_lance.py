"""stable-worldmodel's Lance layout (what ``World.collect`` writes): one table, one row per step,

    episode_idx int32, step_idx int32   episodes contiguous, steps in order
    pixels      binary                  one encoded image per step (swm writes JPEG q95)
    action      fixed_size_list<float32>[A]
    proprio, state, ...                 optional fixed_size_list<float32> columns

in ``<folder>/<table>.lance`` (swm's ``data.lance``). Exports write PNG frames by default
(lossless; swm's reader decodes them through PIL) or JPEG q95 with ``lossy=True``.

Imports keep pixels, action, proprio, state and is_success; swm's ``observation`` (what it
records for an env whose observation is not a dict) becomes proprio when there is no proprio
column. Every other column (reward, terminated, id, goal, ...) is dropped with one warning
each. swm 0.1.1 records no frame rate or action bounds: they come from the table's schema
metadata when a writer put them there (``fps``, ``action_low``, ``action_high``, JSON; or our
own export's), else from the env (``env=<id>``), else fps 10 and the actions' min/max, with
a warning.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np

from worldjepa.datasets.formats.common import Episode, EpisodeSource, column_2d, export_meta, info_from
from worldjepa.errors import DatasetError

log = logging.getLogger(__name__)

LOSSY = "JPEG quality 95, as stable-worldmodel writes (default: PNG, lossless)"
META_KEY = b"worldjepa_meta"
REQUIRED = ("episode_idx", "step_idx", "pixels", "action")
KEPT = (*REQUIRED, "proprio", "state", "is_success")
JPEG_MAGIC = b"\xff\xd8"


def table_path(path: Path) -> Path:
    """A ``.lance`` table, or the folder holding exactly one -> the table's path."""
    if path.suffix == ".lance":
        return path
    tables = sorted(path.glob("*.lance")) if path.is_dir() else []
    if len(tables) != 1:
        raise DatasetError(
            f"{path} should be a stable-worldmodel .lance table or a folder with exactly one "
            f"(found {len(tables)}: {', '.join(t.name for t in tables) or 'none'})"
        )
    return tables[0]


def detect(path: Path) -> bool:
    try:
        return not (path / "episodes.lance").exists() and table_path(path).is_dir()
    except DatasetError:
        return False


def _decode(blob: bytes, where: str) -> np.ndarray:
    import imageio.v3 as iio

    try:
        img = iio.imread(blob, plugin="pillow")  # JPEG or PNG; never guess other plugins
    except Exception as e:  # imageio raises many types for bad bytes
        raise DatasetError(f"{where}: pixels hold bytes that are not an image ({type(e).__name__})") from None
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, axis=2)
    return np.ascontiguousarray(img[..., :3]).astype(np.uint8)


def _schema_facts(metadata: dict, where, action_dim: int) -> dict:
    """fps / action_low / action_high (action_dim,) from a table's schema metadata (JSON values)."""
    facts = {}
    for key in ("fps", "action_low", "action_high"):
        raw = metadata.get(key.encode())
        if raw is None:
            continue
        try:
            facts[key] = json.loads(raw)
        except ValueError:
            raise DatasetError(f"{where}: schema metadata {key!r} is not JSON ({raw[:50]!r})") from None
    if ("action_low" in facts) != ("action_high" in facts):
        raise DatasetError(f"{where}: schema metadata holds only one of action_low / action_high")
    for key in ("action_low", "action_high"):
        if key in facts and np.shape(facts[key]) != (action_dim,):
            raise DatasetError(
                f"{where}: schema metadata {key} = {facts[key]!r} does not match the {action_dim}-dim actions"
            )
    return facts


def _numeric(field) -> bool:
    import pyarrow as pa

    t = field.type
    if pa.types.is_fixed_size_list(t) or pa.types.is_list(t) or pa.types.is_large_list(t):
        t = t.value_type
    return pa.types.is_floating(t) or pa.types.is_integer(t) or pa.types.is_boolean(t)


def read(path: Path, fps: float | None = None, env: str | None = None) -> EpisodeSource:
    import lance
    import pyarrow as pa

    table = table_path(path)
    try:
        ds = lance.dataset(str(table))
    except (OSError, ValueError, RuntimeError) as e:
        raise DatasetError(
            f"{table} is not a readable Lance table ({str(e).splitlines()[0][:200]})"
        ) from None
    names = ds.schema.names
    missing = [c for c in REQUIRED if c not in names]
    if missing:
        raise DatasetError(
            f"{table} lacks column(s) {', '.join(missing)} (found: {', '.join(names)}); "
            "expected stable-worldmodel's layout: episode_idx, step_idx, pixels, action"
        )
    pixel_type = ds.schema.field("pixels").type
    if not (pa.types.is_binary(pixel_type) or pa.types.is_large_binary(pixel_type)):
        raise DatasetError(f"{table}: pixels must be encoded images (binary); got {pixel_type}")
    # swm records a non-dict env observation as `observation`: our proprio, unless it has one
    proprio_col = "proprio" if "proprio" in names else "observation" if "observation" in names else None
    if proprio_col == "observation" and not _numeric(ds.schema.field("observation")):
        proprio_col = None
    for name in names:
        if name not in KEPT and name != proprio_col:
            log.warning("%s: dropping column %r (worldjepa keeps %s)", table, name, ", ".join(KEPT))
    low = [c for c in ("episode_idx", "action", proprio_col, "state", "is_success") if c and c in names]
    cols = ds.to_table(columns=low)
    n = cols.num_rows
    if n == 0:
        raise DatasetError(f"{table} holds no rows")
    ep = cols.column("episode_idx").to_numpy()
    if (np.diff(ep) < 0).any():
        raise DatasetError(
            f"{table} is not episode-contiguous (episode_idx decreases); rebuild it in episode order"
        )
    starts = np.flatnonzero(np.r_[True, np.diff(ep) != 0])
    bounds = np.r_[starts, n]
    action = column_2d(cols, "action", table)
    proprio = column_2d(cols, proprio_col, table) if proprio_col else np.zeros((n, 0), np.float32)
    state = column_2d(cols, "state", table) if "state" in low else np.zeros((n, 0), np.float32)
    success = (
        cols.column("is_success").to_numpy(zero_copy_only=False).astype(bool)
        if "is_success" in low
        else np.zeros(n, bool)
    )
    raw_meta = (ds.schema.metadata or {}).get(META_KEY)
    meta = json.loads(raw_meta) if raw_meta else None
    facts = _schema_facts(ds.schema.metadata or {}, table, action.shape[1])
    first_blob = ds.take([0], columns=["pixels"]).column("pixels")[0].as_py()
    first = _decode(first_blob, str(table))
    info = info_from(
        meta, action, env=env, where=table, image_size=tuple(first.shape[:2]), action_dim=action.shape[1],
        proprio_dim=proprio.shape[1], state_names=[f"s{i}" for i in range(state.shape[1])],
        fps=fps or facts.get("fps"), action_low=facts.get("action_low"), action_high=facts.get("action_high"),
    )  # fmt: skip
    eps = (meta or {}).get("episodes") or [{"seed": -1, "factors": {}}] * (len(bounds) - 1)

    def stream():
        handle = lance.dataset(str(table))
        for i in range(len(bounds) - 1):
            s = slice(int(bounds[i]), int(bounds[i + 1]))
            blobs = handle.take(np.arange(s.start, s.stop), columns=["pixels"]).column("pixels").to_pylist()
            frames = np.stack([_decode(b, f"{table} row {s.start + j}") for j, b in enumerate(blobs)])
            if frames.shape[1:3] != info.image_size:
                raise DatasetError(
                    f"{table}: episode {i} has {frames.shape[1:3]} frames, not {info.image_size}"
                )
            yield Episode(frames, action[s], proprio[s], state[s], success[s], **eps[i])

    return EpisodeSource(info, len(bounds) - 1, stream, lossy=first_blob[:2] == JPEG_MAGIC)


def write(source: EpisodeSource, path: Path, lossy: bool = False, progress: bool = True) -> Path:
    import imageio.v3 as iio
    import lance
    import pyarrow as pa

    from worldjepa.progress import progress_bar

    info = source.info
    target = path if path.suffix == ".lance" else path / "data.lance"
    if target.exists():
        raise DatasetError(f"{target} exists; export to a new path")
    fields = [pa.field("episode_idx", pa.int32()), pa.field("step_idx", pa.int32()), pa.field("pixels", pa.binary()),
              pa.field("action", pa.list_(pa.float32(), info.action_dim))]  # fmt: skip
    if info.proprio_dim:
        fields.append(pa.field("proprio", pa.list_(pa.float32(), info.proprio_dim)))
    if info.state_names:
        fields.append(pa.field("state", pa.list_(pa.float32(), len(info.state_names))))
    fields.append(pa.field("is_success", pa.bool_()))
    metas: list[dict] = []
    # The schema metadata is fixed before the episodes stream through, so seeds/factors go in a
    # side list that becomes the schema metadata of a final, metadata-only commit.
    schema = pa.schema(fields)
    ext, opts = (".jpg", {"quality": 95}) if lossy else (".png", {})

    def fixed(x: np.ndarray, d: int) -> pa.Array:
        return pa.FixedSizeListArray.from_arrays(pa.array(np.asarray(x, np.float32).reshape(-1)), d)

    def batches():
        for i, ep in enumerate(progress_bar(source.episodes(), total=source.num_episodes, desc="export swm-lance",
                                    unit="ep", disable=not progress)):  # fmt: skip
            n = len(ep)
            cols = [pa.array(np.full(n, i, np.int32)), pa.array(np.arange(n, dtype=np.int32)),
                    pa.array([iio.imwrite("<bytes>", f, extension=ext, **opts) for f in ep.pixels], pa.binary()),
                    fixed(ep.action, info.action_dim)]  # fmt: skip
            if info.proprio_dim:
                cols.append(fixed(ep.proprio, info.proprio_dim))
            if info.state_names:
                cols.append(fixed(ep.state, len(info.state_names)))
            cols.append(pa.array(np.asarray(ep.is_success, bool)))
            metas.append({"seed": ep.seed, "factors": ep.factors})
            yield pa.RecordBatch.from_arrays(cols, schema=schema)

    lance.write_dataset(pa.RecordBatchReader.from_batches(schema, batches()), str(target))
    meta = json.dumps(export_meta(info, metas, lossy or source.lossy))
    ds = lance.dataset(str(target))
    ds.update_schema_metadata({META_KEY.decode(): meta}, replace=True)
    return target
