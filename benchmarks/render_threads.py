"""Offscreen render time per frame with Mesa llvmpipe's worker threads on (its default) and
off (LP_NUM_THREADS=0, worldjepa's default), at several image sizes.

    python benchmarks/render_threads.py [--sizes 64 224 480] [--frames 1000]

Each setting runs in a fresh interpreter (Mesa reads the variable once, at start-up). This is
the measurement behind ``os.environ.setdefault("LP_NUM_THREADS", "0")`` in ``worldjepa.envs``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

SNIPPET = """
import sys, time
from worldjepa.envs import make_env
env = make_env("worldjepa/TwoRoom-v0", image_size=int(sys.argv[1])).unwrapped
env.reset(seed=0)
env.render()
n = int(sys.argv[2])
t = time.perf_counter()
for _ in range(n):
    env.render()
print((time.perf_counter() - t) / n * 1e3)
"""


def ms_per_frame(size: int, frames: int, threads: str | None) -> float:
    env = {k: v for k, v in os.environ.items() if k != "LP_NUM_THREADS"}
    if threads is not None:
        env["LP_NUM_THREADS"] = threads
    else:  # Mesa's default: worldjepa.envs only sets the variable when it is absent, so mask it
        env["LP_NUM_THREADS"] = str(os.cpu_count())
    out = subprocess.run([sys.executable, "-c", SNIPPET, str(size), str(frames)], env=env,
                         capture_output=True, text=True, check=True)  # fmt: skip
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[64, 224, 480])
    parser.add_argument("--frames", type=int, default=1000)
    args = parser.parse_args()
    print(f"{'size':>5} {'threads=ncpu ms':>16} {'threads=0 ms':>13} {'speed-up':>9}")
    for size in args.sizes:
        on, off = ms_per_frame(size, args.frames, None), ms_per_frame(size, args.frames, "0")
        print(f"{size:>5} {on:>16.3f} {off:>13.3f} {on / off:>8.2f}x")


if __name__ == "__main__":
    main()
