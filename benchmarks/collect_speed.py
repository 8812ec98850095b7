"""Recording speed: worldjepa `collect` (1 env, then AsyncVectorEnv workers) against
stable-worldmodel 0.1.1's `World.collect`, in the same run, at the same image size.

    python benchmarks/collect_speed.py [--episodes 40] [--num-envs 1 2 3 4]
        [--env worldjepa/TwoRoom-v0] [--swm-python PATH] [--swm-env swm/TwoRoom-v1]

Both sides record ``--episodes`` episodes of 100 steps with their own scripted expert into
Lance at 64x64 and are timed from "start recording" to "dataset written" (worker start-up
included, interpreter imports excluded). Frames/s = recorded env steps / seconds.

stable-worldmodel runs from its own venv (it needs torch 2.14 / torchvision and pygame /
pymunk for its TwoRoom and PushT), e.g.:

    python3 -m venv /work/swm-venv && /work/swm-venv/bin/pip install torch==2.13.0 \\
        'stable-worldmodel==0.1.1' torchvision pygame pymunk shapely opencv-python-headless

and is skipped, with a message, if ``--swm-python`` does not exist.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
import time
from pathlib import Path

DEFAULT_SWM_PYTHON = "/work/swm-venv/bin/python"
# Runs inside stable-worldmodel's venv; prints one JSON line.
SWM_SNIPPET = r"""
import json, sys, time, tempfile
import stable_worldmodel as swm
env_name, num_envs, episodes, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
world = swm.World(env_name, num_envs=num_envs, image_shape=(size, size), max_episode_steps=100)
try:
    module = {"swm/TwoRoom-v1": "two_room", "swm/PushT-v1": "pusht"}[env_name]
    expert = __import__(f"stable_worldmodel.envs.{module}.expert_policy", fromlist=["ExpertPolicy"])
    policy, kind = expert.ExpertPolicy(seed=0), "expert"
except Exception:
    policy, kind = swm.policy.RandomPolicy(seed=0), "random"
world.set_policy(policy)
out = tempfile.mkdtemp(prefix="swm-collect-")
t0 = time.perf_counter()
world.collect(f"{out}/data.lance", episodes=episodes, seed=0, progress=False)
seconds = time.perf_counter() - t0
print(json.dumps({"seconds": seconds, "frames": episodes * 100, "policy": kind}))
"""


def ours(env: str, episodes: int, num_envs: int, size: int) -> dict:
    from worldjepa.collection import CollectConfig, collect
    from worldjepa.datasets import open_dataset

    out = Path(tempfile.mkdtemp(prefix="wj-collect-")) / "data"
    cfg = CollectConfig(env=env, image_size=size, episodes=episodes, num_envs=num_envs, out=str(out))
    t0 = time.perf_counter()
    collect(cfg)
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "frames": open_dataset(out).num_steps}


def swm(python: str, env: str, episodes: int, num_envs: int, size: int) -> dict | None:
    cmd = [python, "-c", SWM_SNIPPET, env, str(num_envs), str(episodes), str(size)]
    proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "MUJOCO_GL": "egl"})
    if proc.returncode != 0:
        print(f"stable-worldmodel run failed:\n{proc.stderr[-2000:]}")
        return None
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--episodes", type=int, default=40)
    parser.add_argument("--num-envs", type=int, nargs="+", default=[1, 2, 3, 4])
    parser.add_argument("--env", default="worldjepa/TwoRoom-v0")
    parser.add_argument("--image-size", type=int, default=64)
    parser.add_argument("--swm-python", default=DEFAULT_SWM_PYTHON)
    parser.add_argument("--swm-env", default="swm/TwoRoom-v1")
    parser.add_argument("--swm-num-envs", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()

    rows = []
    for k in args.num_envs:
        r = ours(args.env, args.episodes, k, args.image_size)
        rows.append((f"worldjepa {args.env} num_envs={k}", r["frames"] / r["seconds"], r))
    if Path(args.swm_python).exists():
        for k in args.swm_num_envs:
            r = swm(args.swm_python, args.swm_env, args.episodes, k, args.image_size)
            if r is not None:
                rows.append(
                    (f"swm {args.swm_env} num_envs={k} ({r['policy']})", r["frames"] / r["seconds"], r)
                )
    else:
        print(
            f"stable-worldmodel comparison skipped: no python at {args.swm_python} (see this script's docstring)"
        )

    print(f"\n{'recorder':<52} {'frames/s':>9} {'frames':>7} {'seconds':>8}")
    for name, fps, r in rows:
        print(f"{name:<52} {fps:>9.0f} {r['frames']:>7} {r['seconds']:>8.1f}")
    ours_rows = [fps for name, fps, _ in rows if name.startswith("worldjepa")]
    swm_rows = [fps for name, fps, _ in rows if name.startswith("swm")]
    print(f"\nworldjepa: 1 env {ours_rows[0]:.0f} frames/s, best {max(ours_rows):.0f} frames/s")
    if swm_rows:
        best_swm = max(swm_rows)
        print(
            f"stable-worldmodel best: {best_swm:.0f} frames/s; ratio (ours best / swm best) = {max(ours_rows) / best_swm:.1f}x"
        )


if __name__ == "__main__":
    main()
