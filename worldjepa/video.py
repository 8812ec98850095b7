"""Write frame sequences to mp4 (H.264 through imageio-ffmpeg) or gif, by the path's suffix."""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from pathlib import Path

import numpy as np

VIDEO_SUFFIXES = (".mp4", ".gif")


def write_video(path: Path, frames: Iterable[np.ndarray], fps: int = 10) -> Path:
    """frames: iterable of (H, W, 3) uint8 -> ``path`` (.mp4 or .gif), parents created."""
    import imageio.v2 as imageio

    path = Path(path)
    if path.suffix not in VIDEO_SUFFIXES:
        raise ValueError(f"video path must end in {' or '.join(VIDEO_SUFFIXES)}, got {path.name}")
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".gif":
        imageio.mimsave(path, list(frames), duration=1000 / fps, loop=0)
        return path
    with warnings.catch_warnings():
        # ffmpeg runs as a subprocess that execs at once; Lance's fork-safety warning does not apply.
        warnings.filterwarnings("ignore", message="lance is not fork-safe")
        writer = imageio.get_writer(path, fps=fps, codec="libx264", quality=8, macro_block_size=1)
    with writer:
        for frame in frames:
            writer.append_data(frame)
    return path
