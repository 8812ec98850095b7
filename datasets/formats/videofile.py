"""Frame-exact mp4 encoding and decoding through PyAV.

Lossless (the default) is H.264 in RGB at qp 0 (``libx264rgb``): decoding returns the very
bytes encoded. ``lossy=True`` is H.264 yuv420p at crf 23, what players and LeRobot's tools
expect, ~10x smaller and not bit-exact; odd-sized frames are padded to even by one repeated
row / column (``worldjepa.video.pad_to_even``), which an import crops off again
(``common.unpadded_size``) when the export's metadata records the size.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np

from worldjepa.errors import DatasetError

CODECS = {
    False: ("libx264rgb", "rgb24", {"qp": "0", "preset": "veryfast"}),
    True: ("libx264", "yuv420p", {"crf": "23", "preset": "veryfast"}),
}


class VideoEncoder:
    """Append (N, H, W, 3) uint8 frame blocks to one mp4 at ``fps``; ``close()`` finishes the file."""

    def __init__(self, path: Path, fps: float, lossy: bool = False):
        import av

        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.codec, self.pix_fmt, self.options = CODECS[bool(lossy)]
        self._container = av.open(str(self.path), mode="w")
        self._fps = Fraction(fps).limit_denominator(1001)
        self._stream = None
        self.frames = 0
        self.size: tuple[int, int] | None = None  # (height, width) as encoded, once known

    def add(self, frames: np.ndarray) -> None:
        import av

        from worldjepa.video import pad_to_even

        frames = np.ascontiguousarray(frames)
        if not len(frames):
            return
        if self.pix_fmt == "yuv420p":
            frames = [pad_to_even(f) for f in frames]
        if self._stream is None:
            h, w = frames[0].shape[:2]
            self.size = (h, w)
            self._stream = self._container.add_stream(self.codec, rate=self._fps)
            self._stream.width, self._stream.height = w, h
            self._stream.pix_fmt = self.pix_fmt
            self._stream.options = self.options
        for f in frames:
            for packet in self._stream.encode(av.VideoFrame.from_ndarray(f, format="rgb24")):
                self._container.mux(packet)
        self.frames += len(frames)

    def close(self) -> Path:
        if self._stream is not None:
            for packet in self._stream.encode():
                self._container.mux(packet)
        self._container.close()
        return self.path

    def __enter__(self) -> VideoEncoder:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def write_mp4(path: Path, frames: np.ndarray, fps: float, lossy: bool = False) -> Path:
    """frames: (N, H, W, 3) uint8 -> ``path``."""
    with VideoEncoder(path, fps, lossy) as enc:
        enc.add(frames)
    return Path(path)


def read_mp4(path: Path) -> np.ndarray:
    """Every frame of the first video stream of ``path`` -> (N, H, W, 3) uint8."""
    import av

    try:
        with av.open(str(path)) as container:
            if not container.streams.video:
                raise DatasetError(f"{path} has no video stream")
            frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    except (av.error.FFmpegError, OSError) as e:
        raise DatasetError(
            f"{path} is not a readable video ({type(e).__name__}: {e}); re-export it"
        ) from None
    if not frames:
        raise DatasetError(f"{path} holds no frames")
    return np.stack(frames)
