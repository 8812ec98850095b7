"""How to store frames in Lance: disk size and random-window read speed of each candidate.

    python benchmarks/storage_formats.py [--data runs/quickstart/data] [--frames 20000]

Takes the first ``--frames`` frames of a recorded dataset (record one with `worldjepa collect`)
and writes them as a one-column Lance table in each candidate layout, then reads random
training windows (4 frames at frameskip 5, batch 64, one ``take`` per batch, decoded to a
uint8 array) and reports windows/s and size on disk. The in-memory numpy gather of the same
windows is the physical limit on this machine. This is the measurement behind
``datasets/schema.py``'s choice (raw frames in an lz4-compressed large_binary column).
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np


def disk_mib(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20


def windows(rng: np.random.Generator, n: int, batches: int) -> list[np.ndarray]:
    """Row indices of ``batches`` batches of 64 windows of 4 frames at frameskip 5."""
    starts = rng.integers(0, n - 16, (batches, 64))
    return [np.sort((s[:, None] + 5 * np.arange(4)[None]).ravel()) for s in starts]


def main() -> None:
    import imageio.v3 as iio
    import lance
    import pyarrow as pa

    from worldjepa.datasets import open_dataset
    from worldjepa.datasets.schema import PIXEL_FIELD_METADATA as lz4
    from worldjepa.datasets.schema import frames_to_arrow, frames_to_numpy

    parser = argparse.ArgumentParser()
    parser.add_argument("--data", default="runs/quickstart/data")
    parser.add_argument("--frames", type=int, default=20000)
    parser.add_argument("--batches", type=int, default=40)
    args = parser.parse_args()

    zstd = {"lance-encoding:compression": "zstd", "lance-encoding:compression-level": "1"}
    ds = open_dataset(args.data)
    n = min(args.frames, ds.num_steps)
    frames = ds.take_frames(np.arange(n))  # (N, H, W, 3) uint8
    h, w = frames.shape[1:3]
    width = h * w * 3
    raw = frames.reshape(n, width)
    png = [iio.imwrite("<bytes>", f, extension=".png") for f in frames]

    def decode_png(col) -> np.ndarray:
        return np.stack([iio.imread(b.as_py(), extension=".png") for b in col])

    layouts = {
        "raw fixed_size_binary (format 1)": (
            pa.FixedSizeBinaryArray.from_buffers(pa.binary(width), n, [None, pa.py_buffer(raw.tobytes())]),
            None, "2.0", lambda c: frames_to_numpy(c, (h, w)),
        ),
        "raw large_binary + Lance zstd-1": (
            frames_to_arrow(frames), zstd, "2.1", lambda c: frames_to_numpy(c, (h, w)),
        ),
        "raw large_binary + Lance lz4 (format 2)": (
            frames_to_arrow(frames), lz4, "2.1", lambda c: frames_to_numpy(c, (h, w)),
        ),
        "PNG per frame": (pa.array(png, pa.large_binary()), None, "2.1", decode_png),
    }  # fmt: skip
    # The same format-2 column left in one fragment per commit of 20 episodes, as it is while
    # recording (a finished recording is compacted into one fragment).
    uncompacted = "raw large_binary + Lance lz4, 2,000-row fragments"
    layouts[uncompacted] = layouts["raw large_binary + Lance lz4 (format 2)"]
    root = Path(tempfile.mkdtemp(prefix="wj-storage-"))
    rng = np.random.default_rng(0)
    batches = windows(rng, n, args.batches)
    rows = []
    t0 = time.perf_counter()
    for b in batches:
        _ = frames[b]
    rows.append(("numpy in-memory gather (the limit)", len(batches) * 64 / (time.perf_counter() - t0), None))
    for name, (column, meta, version, decode) in layouts.items():
        path = root / f"{len(rows)}.lance"
        table = pa.table(
            {"pixels": column}, schema=pa.schema([pa.field("pixels", column.type, metadata=meta)])
        )
        extra = {"max_rows_per_file": 2000} if name == uncompacted else {}
        lance.write_dataset(table, str(path), data_storage_version=version, **extra)
        data = lance.dataset(str(path))
        decode(data.take(batches[0], columns=["pixels"]).column("pixels"))  # warm up
        t0 = time.perf_counter()
        for b in batches:
            out = decode(data.take(b, columns=["pixels"]).column("pixels"))
        assert np.array_equal(out, frames[batches[-1]]), name  # every layout is lossless
        rows.append((name, len(batches) * 64 / (time.perf_counter() - t0), disk_mib(path)))
    shutil.rmtree(root)

    print(f"\n{n} frames of {h}x{w} from {args.data}; windows of 4 frames at frameskip 5, batch 64")
    print(f"{'layout':<52} {'windows/s':>10} {'disk MiB':>9}")
    for name, speed, size in rows:
        print(f"{name:<52} {speed:>10.0f} {'-' if size is None else f'{size:.1f}':>9}")
    print(f"(the raw frames: {n * width / 2**20:.1f} MiB)")


if __name__ == "__main__":
    main()
