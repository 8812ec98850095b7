"""Per env: expert data -> world model -> MPC success vs random and no-op on held-out episodes.

    python benchmarks/env_planning.py [--envs worldjepa/Reacher-v0 ...] [--runs runs/suite]
        [--tabulate-only] [-- extra quickstart overrides]

For each env it runs the quickstart pipeline with that env (300 expert episodes recorded with
2 workers, 2,500 training steps, eval on 50 held-out episodes: goal = the frame 25 steps
later, budget 50), i.e. the command

    worldjepa quickstart out_dir=<runs>/<env> collect.env=<env> collect.num_envs=2

and then prints one table of MPC / random / no-op success with 95% Wilson intervals.
``--tabulate-only`` reads the results.json of runs made earlier. Each env takes ~15-20 min on
2 CPU cores.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ENVS = ["worldjepa/TwoRoom-v0", "worldjepa/Reacher-v0", "worldjepa/PushT-v0", "worldjepa/Cube-v0"]


def run_dir(runs: Path, env_id: str) -> Path:
    return runs / env_id.split("/")[-1].split("-")[0].lower()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--envs", nargs="+", default=ENVS)
    parser.add_argument("--runs", type=Path, default=Path("runs/suite"))
    parser.add_argument("--tabulate-only", action="store_true")
    parser.add_argument("extra", nargs="*", help="more quickstart overrides, e.g. train.steps=3000")
    args = parser.parse_args()
    for env_id in args.envs:
        if args.tabulate_only:
            continue
        cmd = [sys.executable, "-m", "worldjepa.cli", "quickstart", f"out_dir={run_dir(args.runs, env_id)}",
               f"collect.env={env_id}", "collect.num_envs=2", *args.extra]  # fmt: skip
        print("$ worldjepa", " ".join(cmd[3:]), flush=True)
        subprocess.run(cmd, check=True)

    print(f"\n{'env':<22} {'policy':<7} {'success':>8} {'95% CI':>15} {'n':>4}")
    for env_id in args.envs:
        path = run_dir(args.runs, env_id) / "model" / "eval" / "results.json"
        if not path.exists():
            print(f"{env_id:<22} (no results at {path})")
            continue
        for s in json.loads(path.read_text())["summary"]:
            lo, hi = s["ci95"]
            ci = f"[{100 * lo:.1f}, {100 * hi:.1f}]"
            print(
                f"{env_id:<22} {s['policy']:<7} {100 * s['success_rate']:>7.1f}% {ci:>15} {s['episodes']:>4}"
            )


if __name__ == "__main__":
    main()
