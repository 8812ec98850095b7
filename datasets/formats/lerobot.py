"""LeRobot v3.0 datasets, read and written with pyarrow and PyAV (``lerobot`` itself needs Python >= 3.12)::

    meta/info.json                                   codebase_version "v3.0", fps, features, path templates
    meta/tasks.parquet                               task_index, task
    meta/episodes/chunk-000/file-000.parquet         per episode: length, dataset_from/to_index, where its
                                                     frames are (videos/<key>/file_index, from_timestamp)
    data/chunk-000/file-000.parquet                  per frame: action, observation.state, timestamp,
                                                     frame_index, episode_index, index, task_index
    videos/<key>/chunk-000/file-000.mp4              episodes' frames, one after another

Mapping: action <-> ``action``, proprio <-> ``observation.state``, state <->
``observation.environment_state``, is_success <-> ``next.success``, pixels <-> one camera
(``camera=``; default the first video feature, else the first image feature).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from worldjepa.datasets.formats.common import (
    Episode,
    EpisodeSource,
    check_frames,
    column_2d,
    episode_meta,
    info_from,
    is_lossy,
    read_meta_file,
    unpadded_size,
    write_meta_file,
)
from worldjepa.errors import DatasetError

LOSSY = "H.264 yuv420p crf 23 (default: lossless H.264 RGB qp 0)"
CAMERA = "observation.images.main"
DATA_PATH = "data/chunk-{chunk_index:03d}/file-{file_index:03d}.parquet"
VIDEO_PATH = "videos/{video_key}/chunk-{chunk_index:03d}/file-{file_index:03d}.mp4"
EPISODES_PATH = "meta/episodes/chunk-000/file-000.parquet"
COLUMNS = {
    "proprio": "observation.state",
    "state": "observation.environment_state",
    "is_success": "next.success",
}
TASK = "reach the goal"


def detect(path: Path) -> bool:
    return (path / "meta" / "info.json").is_file()


def _read_info(path: Path) -> dict:
    file = path / "meta" / "info.json"
    if not file.is_file():
        raise DatasetError(f"{path} is not a LeRobot dataset (no meta/info.json)")
    try:
        info = json.loads(file.read_text())
    except ValueError as e:
        raise DatasetError(f"{file} is not valid JSON ({e})") from None
    version = str(info.get("codebase_version", "?"))
    if not version.startswith("v3"):
        raise DatasetError(
            f"{path} is a LeRobot {version} dataset; only v3.0 is read here "
            "(convert it with lerobot's convert_dataset_v21_to_v30 script)"
        )
    return info


def _parquet(files: list[Path], what: str):
    import pyarrow as pa
    import pyarrow.parquet as pq

    if not files:
        raise DatasetError(f"no {what} parquet files found")
    try:
        return pa.concat_tables([pq.read_table(f) for f in files], promote_options="default")
    except (OSError, pa.ArrowInvalid) as e:
        raise DatasetError(
            f"{what} parquet files cannot be read ({str(e)[:200]}); is one truncated?"
        ) from None


def read(path: Path, camera: str | None = None, env: str | None = None) -> EpisodeSource:
    meta_info = _read_info(path)
    features = meta_info.get("features", {})
    fps = float(meta_info.get("fps") or 10)
    cams = [k for k, v in features.items() if v.get("dtype") == "video"]
    images = [k for k, v in features.items() if v.get("dtype") == "image"]
    camera = camera or (cams or images or [None])[0]
    if camera is None or camera not in cams + images:
        raise DatasetError(
            f"{path}: no camera {camera!r} among the dataset's video/image features {cams + images}"
        )
    data = _parquet(sorted((path / "data").rglob("*.parquet")), f"{path}/data")
    missing = [c for c in ("episode_index", "frame_index", "action") if c not in data.column_names]
    if missing:
        raise DatasetError(
            f"{path}/data lacks column(s) {', '.join(missing)} (found: {', '.join(data.column_names)})"
        )
    data = data.sort_by([("episode_index", "ascending"), ("frame_index", "ascending")])
    n = data.num_rows
    ep_col = data.column("episode_index").to_numpy()
    ids, starts = np.unique(ep_col, return_index=True)
    bounds = np.r_[starts, n]

    def col(name):
        return column_2d(data, name, path) if name in data.column_names else np.zeros((n, 0), np.float32)

    action, proprio, state = col("action"), col(COLUMNS["proprio"]), col(COLUMNS["state"])
    success = col(COLUMNS["is_success"]).reshape(-1).astype(bool) if COLUMNS["is_success"] in data.column_names \
        else np.zeros(n, bool)  # fmt: skip
    shape = features[camera].get("shape", [])
    names = features[camera].get("names") or []
    hw = (shape[0], shape[1]) if names[:1] == ["height"] or shape[-1:] == [3] else (shape[1], shape[2])
    wj_meta = read_meta_file(path)
    h, w = unpadded_size(wj_meta, hw)  # a lossy export of odd-sized frames padded them to even
    info = info_from(
        wj_meta, action, env=env, where=path, image_size=(h, w), action_dim=action.shape[1],
        proprio_dim=proprio.shape[1], state_names=[f"s{i}" for i in range(state.shape[1])], fps=fps,
    )  # fmt: skip

    if camera in cams:
        episodes = _parquet(sorted((path / "meta" / "episodes").rglob("*.parquet")), f"{path}/meta/episodes")
        where = {int(r["episode_index"]): r for r in episodes.to_pylist()}
        lost = [int(e) for e in ids if int(e) not in where]
        if lost:
            raise DatasetError(f"{path}/meta/episodes has no row for episode(s) {lost[:5]}")
        template = meta_info.get("video_path", VIDEO_PATH)
        frames_of = _VideoFrames(path, template, camera, fps, where)
    else:
        frames_of = _ImageFrames(data, camera, bounds)

    def stream():
        for i, e in enumerate(ids):
            s = slice(int(bounds[i]), int(bounds[i + 1]))
            frames = check_frames(frames_of(int(e), i, s.stop - s.start), path / camera)[:, :h, :w]
            em = episode_meta(wj_meta, i)
            yield Episode(
                frames, action[s], proprio[s], state[s], success[s], seed=em["seed"], factors=em["factors"]
            )

    return EpisodeSource(info, len(ids), stream, lossy=camera in cams and is_lossy(wj_meta))


class _VideoFrames:
    """Frames of episode e: ``length`` frames from its file, starting at ``from_timestamp * fps``;
    decodes each file once, front to back, as episodes are read in order."""

    def __init__(self, root: Path, template: str, camera: str, fps: float, where: dict):
        self.root, self.template, self.camera, self.fps, self.where = root, template, camera, fps, where
        self._file, self._frames, self._pos, self._container = None, None, 0, None

    def _open(self, file: Path):
        import av

        if self._container is not None:
            self._container.close()
        if not file.is_file():
            raise DatasetError(f"{file} is missing; the LeRobot dataset is incomplete")
        try:
            self._container = av.open(str(file))
        except av.error.FFmpegError as e:
            raise DatasetError(f"{file} is not a readable video ({e})") from None
        self._file, self._frames, self._pos = file, self._container.decode(video=0), 0

    def __call__(self, episode: int, i: int, length: int) -> np.ndarray:
        row = self.where[episode]
        key = f"videos/{self.camera}"
        file = self.root / self.template.format(
            video_key=self.camera, chunk_index=int(row.get(f"{key}/chunk_index", 0) or 0),
            file_index=int(row.get(f"{key}/file_index", 0) or 0),
        )  # fmt: skip
        start = int(round(float(row.get(f"{key}/from_timestamp", 0.0) or 0.0) * self.fps))
        if file != self._file or start < self._pos:
            self._open(file)
        out = []
        for frame in self._frames:
            self._pos += 1
            if self._pos - 1 >= start:
                out.append(frame.to_ndarray(format="rgb24"))
                if len(out) == length:
                    break
        if len(out) != length:
            raise DatasetError(f"{file} ends before episode {episode}'s {length} frames (from frame {start})")
        return np.stack(out)


class _ImageFrames:
    """Frames stored in the data parquet as encoded images ({bytes, path} structs)."""

    def __init__(self, data, camera: str, bounds: np.ndarray):
        self.column, self.bounds = data.column(camera), bounds

    def __call__(self, episode: int, i: int, length: int) -> np.ndarray:
        import imageio.v3 as iio

        cells = self.column.slice(int(self.bounds[i]), length).to_pylist()
        return np.stack([iio.imread(c["bytes"] if isinstance(c, dict) else c) for c in cells])


def write(source: EpisodeSource, path: Path, lossy: bool = False, progress: bool = True) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from worldjepa.datasets.formats.videofile import CODECS, VideoEncoder
    from worldjepa.datasets.stats import column_stats
    from worldjepa.progress import progress_bar

    if (path / "meta").exists():
        raise DatasetError(f"{path} already holds a LeRobot dataset; export into an empty folder")
    info = source.info
    fps = info.fps
    h, w = info.image_size
    video = path / VIDEO_PATH.format(video_key=CAMERA, chunk_index=0, file_index=0)
    cols: dict[str, list] = {
        k: []
        for k in ("action", "proprio", "state", "is_success", "timestamp", "frame_index", "episode_index")
    }
    episodes, metas, total = [], [], 0
    with VideoEncoder(video, fps, lossy) as enc:
        for i, ep in enumerate(progress_bar(source.episodes(), total=source.num_episodes, desc="export lerobot", unit="ep",
                                    disable=not progress)):  # fmt: skip
            n = len(ep)
            enc.add(ep.pixels)
            for k in ("action", "proprio", "state", "is_success"):
                cols[k].append(np.asarray(getattr(ep, k)))
            cols["timestamp"].append(np.arange(n, dtype=np.float32) / fps)
            cols["frame_index"].append(np.arange(n, dtype=np.int64))
            cols["episode_index"].append(np.full(n, i, np.int64))
            episodes.append({
                "episode_index": i, "tasks": [TASK], "length": n, "data/chunk_index": 0, "data/file_index": 0,
                "dataset_from_index": total, "dataset_to_index": total + n,
                f"videos/{CAMERA}/chunk_index": 0, f"videos/{CAMERA}/file_index": 0,
                f"videos/{CAMERA}/from_timestamp": total / fps, f"videos/{CAMERA}/to_timestamp": (total + n) / fps,
                "meta/episodes/chunk_index": 0, "meta/episodes/file_index": 0,
            })  # fmt: skip
            metas.append({"seed": ep.seed, "factors": ep.factors})
            total += n
    cat = {k: np.concatenate(v) for k, v in cols.items()}

    def floats(x: np.ndarray) -> pa.Array:
        return pa.FixedSizeListArray.from_arrays(pa.array(x.astype(np.float32).reshape(-1)), x.shape[1])

    table = {"action": floats(cat["action"])}
    features = {"action": {"dtype": "float32", "shape": [info.action_dim], "names": None}}
    for k in ("proprio", "state"):
        if cat[k].shape[1]:
            table[COLUMNS[k]] = floats(cat[k])
            names = list(info.state_names) if k == "state" else None
            features[COLUMNS[k]] = {"dtype": "float32", "shape": [cat[k].shape[1]], "names": names}
    table[COLUMNS["is_success"]] = pa.array(cat["is_success"].astype(bool))
    features[COLUMNS["is_success"]] = {"dtype": "bool", "shape": [1], "names": None}
    table |= {"timestamp": pa.array(cat["timestamp"]), "frame_index": pa.array(cat["frame_index"]),
              "episode_index": pa.array(cat["episode_index"]), "index": pa.array(np.arange(total, dtype=np.int64)),
              "task_index": pa.array(np.zeros(total, np.int64))}  # fmt: skip
    for k, dt in (("timestamp", "float32"), ("frame_index", "int64"), ("episode_index", "int64"),
                  ("index", "int64"), ("task_index", "int64")):  # fmt: skip
        features[k] = {"dtype": dt, "shape": [1], "names": None}
    pix_fmt = CODECS[bool(lossy)][1]
    h, w = enc.size or (h, w)  # as encoded: a lossy export pads odd sizes to even
    features[CAMERA] = {
        "dtype": "video", "shape": [h, w, 3], "names": ["height", "width", "channels"],
        "info": {"video.height": h, "video.width": w, "video.codec": "h264", "video.pix_fmt": pix_fmt,
                 "video.is_depth_map": False, "video.fps": fps, "video.channels": 3, "has_audio": False},
    }  # fmt: skip
    (path / "data" / "chunk-000").mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table(table), path / DATA_PATH.format(chunk_index=0, file_index=0))
    (path / EPISODES_PATH).parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(episodes), path / EPISODES_PATH)
    pq.write_table(pa.table({"task_index": [0], "task": [TASK]}), path / "meta" / "tasks.parquet")
    stats = {"action": column_stats(cat["action"])}
    for k in ("proprio", "state"):
        if cat[k].shape[1]:
            stats[COLUMNS[k]] = column_stats(cat[k])
    (path / "meta" / "stats.json").write_text(json.dumps(stats, indent=1))
    info_json = {
        "codebase_version": "v3.0", "robot_type": info.env_id, "total_episodes": len(episodes),
        "total_frames": total, "total_tasks": 1, "chunks_size": 1000, "data_files_size_in_mb": 100,
        "video_files_size_in_mb": 500, "fps": fps, "splits": {"train": f"0:{len(episodes)}"},
        "data_path": DATA_PATH, "video_path": VIDEO_PATH, "features": features,
    }  # fmt: skip
    (path / "meta" / "info.json").write_text(json.dumps(info_json, indent=1))
    write_meta_file(path, info, metas, lossy or source.lossy)
    return path
