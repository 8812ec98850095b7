"""Which MPC settings plan best with a given checkpoint: cost mode x horizon x CEM budget.

    python benchmarks/planner_settings.py CHECKPOINT [--episodes 50]

Runs `worldjepa eval` (MPC only; baselines do not depend on these settings) for each variant
on the same held-out tasks and seed, and prints one row per variant. This is the measurement
behind configs/eval.yaml's defaults (cost=sum, horizon=8, CEM 128 x 10).
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

VARIANTS = {
    "terminal, H=5, CEM 128x10": ["cost=terminal", "horizon=5"],
    "sum, H=5, CEM 128x10": ["cost=sum", "horizon=5"],
    "sum, H=5, CEM 128x20": ["cost=sum", "horizon=5", "planner.num_iters=20"],
    "sum, H=8, CEM 128x10": ["cost=sum", "horizon=8"],
}


def main() -> None:
    from worldjepa.cli import main as cli

    parser = argparse.ArgumentParser()
    parser.add_argument("checkpoint")
    parser.add_argument("--episodes", type=int, default=50)
    args = parser.parse_args()
    rows = []
    for name, overrides in VARIANTS.items():
        out = Path(tempfile.mkdtemp(prefix="wj-planner-"))
        base = [
            f"checkpoint={args.checkpoint}",
            f"episodes={args.episodes}",
            "policies=[mpc]",
            f"out={out}",
            "planner.num_samples=128",
            "planner.num_iters=10",
            "planner.num_elites=16",
        ]
        assert cli(["eval", *base, *overrides]) == 0
        s = json.loads((out / "results.json").read_text())["summary"][0]
        rows.append((name, s))
    print(f"\n{'variant':<28} {'success':>8} {'95% CI':>15} {'plan s/step':>12}")
    for name, s in rows:
        lo, hi = s["ci95"]
        print(
            f"{name:<28} {100 * s['success_rate']:>7.1f}% {f'[{100 * lo:.1f}, {100 * hi:.1f}]':>15} "
            f"{s['time_per_step_s']:>12.2f}"
        )


if __name__ == "__main__":
    main()
