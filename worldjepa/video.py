"""Write frame sequences to mp4 (H.264 yuv420p through imageio-ffmpeg) or gif, by the path's suffix."""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from pathlib import Path

import numpy as np

VIDEO_SUFFIXES = (".mp4", ".gif")


def even_size(h: int, w: int) -> tuple[int, int]:
    """The smallest even (height, width) that holds an h x w frame: what yuv420p can encode."""
    return h + h % 2, w + w % 2


def pad_to_even(frame: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8 -> (H', W', 3) with H', W' even, the last row / column repeated once
    where H or W is odd (4:2:0 chroma covers 2x2 blocks, so H.264 yuv420p needs even sizes)."""
    h, w = frame.shape[:2]
    if not (h % 2 or w % 2):
        return frame
    return np.pad(frame, ((0, h % 2), (0, w % 2), (0, 0)), mode="edge")


def write_video(path: Path, frames: Iterable[np.ndarray], fps: int = 10) -> Path:
    """frames: iterable of (H, W, 3) uint8 -> ``path`` (.mp4 or .gif), parents created.

    An mp4 of odd-sized frames is padded to even by one repeated row / column (see ``pad_to_even``)."""
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
        writer = imageio.get_writer(
            path, fps=fps, codec="libx264", pixelformat="yuv420p", quality=8, macro_block_size=1
        )
    with writer:
        for frame in frames:
            writer.append_data(pad_to_even(np.asarray(frame)))
    return path
