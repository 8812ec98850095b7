"""HDF5 in the layout stable-worldmodel uses (and its DINO-WM conversions): one ``.h5`` file with

    pixels     (N, H, W, 3) uint8     every step of every episode, episode after episode
    action     (N, A)                 float
    proprio    (N, P)                 optional
    state      (N, S)                 optional
    ep_len     (E,)                   episode lengths
    ep_offset  (E,)                   row of each episode's first step

Other datasets in the file are ignored. An export also stores worldjepa's metadata (fps, env
id, state names, seeds, factors) as a JSON attribute, so importing it back is exact.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from worldjepa.datasets.formats.common import (
    Episode,
    EpisodeSource,
    as_2d,
    check_frames,
    export_meta,
    info_from,
)
from worldjepa.errors import DatasetError

LOSSY = None  # raw arrays
SUFFIXES = (".h5", ".hdf5")
META_ATTR = "worldjepa_meta"
REQUIRED = ("pixels", "action", "ep_len", "ep_offset")


def detect(path: Path) -> bool:
    return path.is_file() and path.suffix in SUFFIXES


def _h5py():
    try:
        import h5py
    except ImportError:
        raise DatasetError("reading HDF5 needs h5py: pip install h5py") from None
    try:  # compressed swm files use Blosc & co. from hdf5plugin, when it is installed
        import hdf5plugin  # noqa: F401
    except ImportError:
        pass
    return h5py


def _open(path: Path):
    h5py = _h5py()
    if not path.is_file():
        raise DatasetError(f"{path} is not an HDF5 file")
    try:
        return h5py.File(path, "r")
    except OSError as e:
        raise DatasetError(f"{path} is not a readable HDF5 file ({e}); is it truncated?") from None


def read(path: Path, fps: float | None = None, env: str | None = None) -> EpisodeSource:
    with _open(path) as f:
        missing = [k for k in REQUIRED if k not in f]
        if missing:
            raise DatasetError(
                f"{path} lacks {', '.join(missing)} (found: {', '.join(f.keys()) or 'nothing'}); "
                "expected stable-worldmodel's layout: pixels, action, ep_len, ep_offset"
            )
        lengths = f["ep_len"][:].astype(np.int64)
        offsets = f["ep_offset"][:].astype(np.int64)
        n = f["pixels"].shape[0]
        pshape = f["pixels"].shape
        action = as_2d(f["action"][:], "action", path, n)
        proprio = (
            as_2d(f["proprio"][:], "proprio", path, n) if "proprio" in f else np.zeros((n, 0), np.float32)
        )
        state = as_2d(f["state"][:], "state", path, n) if "state" in f else np.zeros((n, 0), np.float32)
        success = f["is_success"][:].astype(bool).reshape(-1) if "is_success" in f else np.zeros(n, bool)
        meta = json.loads(f.attrs[META_ATTR]) if META_ATTR in f.attrs else None
    if len(lengths) != len(offsets) or len(lengths) == 0:
        raise DatasetError(
            f"{path}: ep_len ({len(lengths)}) and ep_offset ({len(offsets)}) must be equal and > 0"
        )
    if (offsets < 0).any() or (offsets + lengths > n).any() or (lengths < 1).any():
        raise DatasetError(f"{path}: an episode (ep_offset + ep_len) points past the {n} rows of pixels")
    if len(pshape) != 4 or 3 not in (pshape[-1], pshape[1]):
        raise DatasetError(f"{path}: pixels must be (N, H, W, 3) uint8; got shape {pshape}")
    hw = pshape[1:3] if pshape[-1] == 3 else pshape[2:4]
    info = info_from(
        meta, action, env=env, where=path, image_size=tuple(int(s) for s in hw), action_dim=action.shape[1],
        proprio_dim=proprio.shape[1], state_names=[f"s{i}" for i in range(state.shape[1])], fps=fps,
    )  # fmt: skip
    eps = (meta or {}).get("episodes") or [{"seed": -1, "factors": {}}] * len(lengths)

    def stream():
        with _open(path) as f:
            for i, (o, n_i) in enumerate(zip(offsets, lengths, strict=True)):
                s = slice(int(o), int(o + n_i))
                frames = check_frames(f["pixels"][s], path)
                yield Episode(frames, action[s], proprio[s], state[s], success[s], **eps[i])

    return EpisodeSource(info, len(lengths), stream, lossy=bool((meta or {}).get("lossy", False)))


def write(source: EpisodeSource, path: Path, progress: bool = True) -> Path:
    from worldjepa.progress import progress_bar

    h5py = _h5py()
    if path.exists():
        raise DatasetError(f"{path} exists; export to a new .h5 path")
    info = source.info
    path.parent.mkdir(parents=True, exist_ok=True)
    h, w = info.image_size
    metas, lengths, offsets = [], [], []
    with h5py.File(path, "w") as f:
        # chunks of one frame, like stable-worldmodel's writer: a window reads only its frames
        cols = {
            "pixels": f.create_dataset("pixels", (0, h, w, 3), np.uint8, maxshape=(None, h, w, 3), chunks=(1, h, w, 3)),
            "action": f.create_dataset("action", (0, info.action_dim), np.float32, maxshape=(None, info.action_dim)),
            "proprio": f.create_dataset("proprio", (0, info.proprio_dim), np.float32, maxshape=(None, info.proprio_dim)),
            "state": f.create_dataset("state", (0, len(info.state_names)), np.float32, maxshape=(None, len(info.state_names))),
            "is_success": f.create_dataset("is_success", (0,), bool, maxshape=(None,)),
        }  # fmt: skip
        n = 0
        for ep in progress_bar(source.episodes(), total=source.num_episodes, desc="export hdf5", unit="ep",
                       disable=not progress):  # fmt: skip
            k = len(ep)
            for name, ds in cols.items():
                ds.resize(n + k, axis=0)
                ds[n : n + k] = getattr(ep, name)
            lengths.append(k)
            offsets.append(n)
            metas.append({"seed": ep.seed, "factors": ep.factors})
            n += k
        f.create_dataset("ep_len", data=np.asarray(lengths, np.int32))
        f.create_dataset("ep_offset", data=np.asarray(offsets, np.int64))
        f.attrs[META_ATTR] = json.dumps(export_meta(info, metas, source.lossy))
    return path
