"""Training-window loading: worldjepa's loader against stable-worldmodel 0.1.1's, same episodes, same run.

    python benchmarks/loader_speed.py [--episodes 200] [--workers 0 2] [--batches 150]
        [--env worldjepa/TwoRoom-v0] [--swm-python /work/swm-venv/bin/python] [--out DIR]

1. Records ``--episodes`` expert episodes of 100 steps at 64x64 with ``worldjepa collect``.
2. Writes the same episodes (pixels, action, proprio) with stable-worldmodel's own
   ``LanceWriter`` (what ``World.collect`` uses: one row per step, JPEG q95 pixels).
3. Reads random windows of 4 frames at frameskip 5 (pixels + action blocks), batch 64,
   through each library's own loader with 0 and 2 workers (worldjepa's with thread workers,
   its default, and with forkserver process workers; swm's torch DataLoader with its spawn
   processes); the first batch (worker start-up) is not timed. Reports samples/s, the ratio to swm, the ratio to a raw in-memory
   numpy gather of the same windows (the physical limit here), and disk size.

stable-worldmodel runs in its own venv (see benchmarks/collect_speed.py) and is skipped, with
a message, if ``--swm-python`` does not exist.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
DEFAULT_SWM_PYTHON = "/work/swm-venv/bin/python"
NUM_STEPS, FRAMESKIP, BATCH = 4, 5, 64

# Runs inside stable-worldmodel's venv: write the episodes with swm's LanceWriter, time its loader.
SWM_SNIPPET = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
import numpy as np, torch
from stable_worldmodel.data.formats.lance import LanceDataset, LanceWriter
from _loader_timing import time_loader
npz, out, workers, batches = sys.argv[2], sys.argv[3], [int(w) for w in sys.argv[4].split(",")], int(sys.argv[5])
d = np.load(npz)
bounds = np.concatenate([[0], np.cumsum(d["lengths"])])
t0 = time.perf_counter()
with LanceWriter(out, mode="overwrite") as w:
    # lists of per-step arrays, as World.collect hands them over
    w.write_episodes({k: list(d[k][a:b]) for k in ("pixels", "action", "proprio")}
                     for a, b in zip(bounds[:-1], bounds[1:]))
write_s = time.perf_counter() - t0
res = {"write_s": write_s, "loaders": {}}
for nw in workers:
    ds = LanceDataset(out, frameskip=5, num_steps=4, keys_to_load=["pixels", "action"])
    if nw == workers[0]:
        item = ds.__getitems__([0])[0]
        res["item"] = {k: [list(v.shape), str(v.dtype)] for k, v in item.items()}
    loader = torch.utils.data.DataLoader(ds, batch_size=64, shuffle=True, num_workers=nw,
        persistent_workers=nw > 0, drop_last=True, generator=torch.Generator().manual_seed(0))
    res["loaders"][nw] = time_loader(loader, batches, 64)
    del loader
print(json.dumps(res))
"""


def disk_mib(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20


def record(env: str, episodes: int, out: Path) -> Path:
    from worldjepa.collection import CollectConfig, collect
    from worldjepa.datasets import open_dataset

    if not (out / "steps.lance").exists():
        collect(CollectConfig(env=env, image_size=64, episodes=episodes, num_envs=2, out=str(out)))
    ds = open_dataset(out)
    if ds.num_episodes != episodes or set(ds.episode_lengths.tolist()) != {100}:
        raise SystemExit(
            f"{out} holds {ds.num_episodes} episodes of lengths {set(ds.episode_lengths)}; "
            "delete it or pick another --out"
        )
    return out


def ours(root: Path, workers: list[int], batches: int, kind: str) -> dict:
    from _loader_timing import time_loader

    from worldjepa.datasets import WindowDataset, make_loader

    res = {}
    for nw in workers:
        ds = WindowDataset(root, NUM_STEPS, FRAMESKIP, columns=("pixels", "action"))
        loader = make_loader(ds, BATCH, num_workers=nw, workers=kind, seed=0)
        res[nw] = time_loader(loader, batches, BATCH)
        del loader
    return res


def numpy_gather(root: Path, batches: int) -> tuple[float, dict]:
    """Everything in RAM: pixels (N, H, W, 3), action (N, A); -> (samples/s, the arrays for swm)."""
    from worldjepa.datasets import open_dataset

    ds = open_dataset(root)
    cols = ds.load_columns(("action", "proprio"), committed_only=True)
    rows = np.concatenate([ds.episode_rows(e) for e in ds.episode_ids])
    pixels = ds.take_frames(rows).copy()
    arrays = {"pixels": pixels, "lengths": ds.episode_lengths, **cols}
    starts = np.concatenate(
        [
            s + np.arange(n - NUM_STEPS * FRAMESKIP + 1)
            for s, n in zip(np.cumsum(np.r_[0, ds.episode_lengths[:-1]]), ds.episode_lengths, strict=True)
        ]
    )
    rng = np.random.default_rng(0)
    t0 = time.perf_counter()
    for _ in range(batches):
        s = starts[rng.integers(0, len(starts), BATCH)]
        _ = pixels[s[:, None] + FRAMESKIP * np.arange(NUM_STEPS)]  # (B, T, H, W, 3)
        _ = cols["action"][s[:, None] + np.arange(NUM_STEPS * FRAMESKIP)].reshape(BATCH, NUM_STEPS, -1)
    return batches * BATCH / (time.perf_counter() - t0), arrays


def swm(python: str, arrays: dict, out: Path, workers: list[int], batches: int) -> dict | None:
    if not Path(python).exists():
        print(f"[skip] stable-worldmodel: {python} not found (see this script's docstring)")
        return None
    npz = out / "episodes.npz"
    np.savez(npz, **arrays)
    target = out / "swm" / "data.lance"
    cmd = [
        python,
        "-c",
        SWM_SNIPPET,
        str(HERE),
        str(npz),
        str(target),
        ",".join(map(str, workers)),
        str(batches),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    npz.unlink()
    if proc.returncode != 0:
        raise SystemExit(f"stable-worldmodel run failed:\n{proc.stderr[-3000:]}")
    res = json.loads(proc.stdout.strip().splitlines()[-1])
    res["disk_mib"] = disk_mib(target)
    res["loaders"] = {int(k): v for k, v in res["loaders"].items()}
    return res


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--episodes", type=int, default=200)
    parser.add_argument("--workers", type=int, nargs="+", default=[0, 2])
    parser.add_argument("--batches", type=int, default=150)
    parser.add_argument("--env", default="worldjepa/TwoRoom-v0")
    parser.add_argument("--swm-python", default=DEFAULT_SWM_PYTHON)
    parser.add_argument("--out", default="runs/bench/loader")
    args = parser.parse_args()
    sys.path.insert(0, str(HERE))

    out = Path(args.out)
    root = record(args.env, args.episodes, out / "worldjepa")
    limit, arrays = numpy_gather(root, args.batches)
    theirs = swm(args.swm_python, arrays, out, args.workers, args.batches)
    threads = ours(root, args.workers, args.batches, "thread")
    procs = ours(root, [w for w in args.workers if w > 0], args.batches, "process")

    n = int(arrays["lengths"].sum())
    print(
        f"\n{args.env}: {args.episodes} episodes x 100 steps ({n} frames, 64x64); "
        f"windows {NUM_STEPS} frames @ frameskip {FRAMESKIP} + action blocks, batch {BATCH}, "
        f"{args.batches} timed batches"
    )
    print(f"numpy in-memory gather (the limit): {limit:,.0f} samples/s")
    header = f"{'loader':<44}{'workers':>8}{'samples/s':>12}{'vs swm':>8}{'/ numpy':>9}{'start-up s':>12}"
    print(header + "\n" + "-" * len(header))
    rows = [
        ("stable-worldmodel 0.1.1 (JPEG q95, processes)", theirs["loaders"] if theirs else {}),
        ("worldjepa (lossless; thread workers)", threads),
        ("worldjepa (lossless; process workers)", procs),
    ]
    for name, res in rows:
        for nw, r in res.items():
            ref = theirs["loaders"].get(nw) if theirs else None
            vs = f"{r['samples_per_s'] / ref['samples_per_s']:.1f}x" if ref else "-"
            print(
                f"{name:<44}{nw:>8}{r['samples_per_s']:>12,.0f}{vs:>8}"
                f"{r['samples_per_s'] / limit:>9.3f}{r['startup_s']:>12.1f}"
            )
    print(
        f"\ndisk: worldjepa {disk_mib(root):.1f} MiB"
        + (
            f", stable-worldmodel {theirs['disk_mib']:.1f} MiB (its write: {theirs['write_s']:.1f} s)"
            if theirs
            else ""
        )
    )
    if theirs:
        print(f"swm item: {theirs['item']}")


if __name__ == "__main__":
    main()
