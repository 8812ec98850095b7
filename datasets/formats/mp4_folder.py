"""A folder of videos with their actions, the simplest thing people have::

    folder/
      episode_000000.mp4     the episode's frames (any codec PyAV decodes)
      episode_000000.npz     action (L, A) [+ proprio (L, P), state (L, S), is_success (L,)]
      ...                    (or episode_000000.npy holding only the (L, A) actions)
      worldjepa_meta.json    optional: fps, env id, action bounds, seeds and factors

Episodes are the .mp4 files in name order; frame t of a video pairs with row t of its actions.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from worldjepa.datasets.formats.common import (
    Episode,
    EpisodeSource,
    as_2d,
    check_frames,
    episode_meta,
    info_from,
    is_lossy,
    read_meta_file,
    unpadded_size,
    write_meta_file,
)
from worldjepa.datasets.formats.videofile import read_mp4, write_mp4
from worldjepa.errors import DatasetError

LOSSY = "H.264 yuv420p crf 23 (default: lossless H.264 RGB qp 0)"


def detect(path: Path) -> bool:
    return path.is_dir() and any(path.glob("*.mp4"))


def _lowdim(video: Path) -> dict[str, np.ndarray]:
    npz, npy = video.with_suffix(".npz"), video.with_suffix(".npy")
    try:
        if npz.is_file():
            with np.load(npz, allow_pickle=False) as z:  # arrays only: never a pickle
                cols = {k: z[k] for k in z.files}
        elif npy.is_file():
            cols = {"action": np.load(npy, allow_pickle=False)}
        else:
            raise DatasetError(
                f"{video.name} has no actions: put them in {npz.name} (key 'action', shape (L, A)) or {npy.name}"
            )
    except (OSError, ValueError) as e:
        raise DatasetError(f"{npz if npz.is_file() else npy} cannot be read ({e})") from None
    if "action" not in cols:
        raise DatasetError(f"{npz} has no 'action' array (found: {', '.join(cols) or 'nothing'})")
    return cols


def read(path: Path, fps: float | None = None, env: str | None = None) -> EpisodeSource:
    if not path.is_dir():
        raise DatasetError(f"{path} is not a folder of .mp4 files")
    videos = sorted(path.glob("*.mp4"))
    if not videos:
        raise DatasetError(f"{path} holds no .mp4 files; put one video per episode there")
    cols = [_lowdim(v) for v in videos]
    action = [as_2d(c["action"], "action", v.with_suffix(".npz")) for c, v in zip(cols, videos, strict=True)]
    dims = {a.shape[1] for a in action}
    if len(dims) != 1:
        raise DatasetError(f"{path}: episodes have different action sizes {sorted(dims)}; they must agree")
    first = read_mp4(videos[0])
    meta = read_meta_file(path)
    h, w = unpadded_size(meta, first.shape[1:3])  # a lossy export of odd-sized frames padded them
    proprio_dim = as_2d(cols[0]["proprio"], "proprio", videos[0]).shape[1] if "proprio" in cols[0] else 0
    state_dim = as_2d(cols[0]["state"], "state", videos[0]).shape[1] if "state" in cols[0] else 0
    info = info_from(
        meta, np.concatenate(action), env=env, where=path, image_size=(h, w), action_dim=dims.pop(),
        proprio_dim=proprio_dim, state_names=[f"s{i}" for i in range(state_dim)],
        fps=float(fps or _fps(videos[0])),
    )  # fmt: skip

    def stream():
        for i, (video, c, act) in enumerate(zip(videos, cols, action, strict=True)):
            frames = check_frames(first if i == 0 else read_mp4(video), video)[:, :h, :w]
            n = len(frames)
            if len(act) != n:
                raise DatasetError(
                    f"{video.name} has {n} frames but its actions have {len(act)} rows; they must match"
                )
            if frames.shape[1:3] != info.image_size:
                raise DatasetError(
                    f"{video.name} is {frames.shape[1:3]} but the first video is {info.image_size}"
                )
            proprio = (
                as_2d(c["proprio"], "proprio", video, n) if info.proprio_dim else np.zeros((n, 0), np.float32)
            )
            state = as_2d(c["state"], "state", video, n) if info.state_names else np.zeros((n, 0), np.float32)
            success = np.asarray(c.get("is_success", np.zeros(n, bool))).astype(bool).reshape(-1)
            em = episode_meta(meta, i)
            yield Episode(frames, act, proprio, state, success, seed=em["seed"], factors=em["factors"])

    return EpisodeSource(info, len(videos), stream, lossy=is_lossy(meta))


def _fps(video: Path) -> float:
    import av

    with av.open(str(video)) as c:
        rate = c.streams.video[0].average_rate
    return float(rate) if rate else 10.0


def write(source: EpisodeSource, path: Path, lossy: bool = False, progress: bool = True) -> Path:
    from worldjepa.progress import progress_bar

    path.mkdir(parents=True, exist_ok=True)
    if any(path.glob("*.mp4")):
        raise DatasetError(f"{path} already holds .mp4 files; export into an empty folder")
    metas = []
    for i, ep in enumerate(progress_bar(source.episodes(), total=source.num_episodes, desc="export mp4", unit="ep",
                                disable=not progress)):  # fmt: skip
        stem = path / f"episode_{i:06d}"
        write_mp4(stem.with_suffix(".mp4"), ep.pixels, source.info.fps, lossy=lossy)
        np.savez(stem.with_suffix(".npz"), action=ep.action, proprio=ep.proprio, state=ep.state,
                 is_success=ep.is_success)  # fmt: skip
        metas.append({"seed": ep.seed, "factors": ep.factors})
    write_meta_file(path, source.info, metas, lossy or source.lossy)
    return path
