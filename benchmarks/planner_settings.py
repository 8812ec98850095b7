"""Which MPC settings plan best with a given checkpoint: cost mode x horizon x CEM budget x
action parameterisation (free per-step actions, or one action held per block).

    python benchmarks/planner_settings.py CHECKPOINT [--episodes 50] [--only hold]

Runs `worldjepa eval` (MPC only; baselines do not depend on these settings) for each variant
on the same held-out tasks and seed, and prints one row per variant. This is the measurement
behind worldjepa eval's defaults (worldjepa.planners.config). ``--only`` keeps the variants whose name contains it.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

FREE, HOLD = ["hold_actions=false"], ["hold_actions=true"]
SMALL_CEM = ["planner.num_samples=64", "planner.num_iters=6", "planner.num_elites=8"]
VARIANTS = {
    "terminal, H=5, CEM 128x10": ["cost=terminal", "horizon=5", *FREE],
    "sum, H=5, CEM 128x10": ["cost=sum", "horizon=5", *FREE],
    "sum, H=5, CEM 128x20": ["cost=sum", "horizon=5", "planner.num_iters=20", *FREE],
    "sum, H=8, CEM 128x10": ["cost=sum", "horizon=8", *FREE],
    "hold, terminal, H=8, CEM 128x10": ["cost=terminal", "horizon=8", *HOLD],
    "hold, sum, H=8, CEM 128x10": ["cost=sum", "horizon=8", *HOLD],
    "hold, sum, H=8, CEM 64x6": ["cost=sum", "horizon=8", *HOLD, *SMALL_CEM],
    # the default above plans in bf16 autocast; the same in float32, to see what numerics change
    "hold, sum, H=8, CEM 64x6, float32": ["cost=sum", "horizon=8", *HOLD, *SMALL_CEM, "amp=none"],
}


def main() -> None:
    from worldjepa.cli import main as cli

    parser = argparse.ArgumentParser()
    parser.add_argument("checkpoint")
    parser.add_argument("--episodes", type=int, default=50)
    parser.add_argument("--only", default="", help="run only the variants whose name contains this")
    args = parser.parse_args()
    chosen = {k: v for k, v in VARIANTS.items() if args.only in k}
    if not chosen:
        parser.error(f"no variant name contains {args.only!r}; variants: {', '.join(VARIANTS)}")
    rows = []
    for name, overrides in chosen.items():
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
        if cli(["eval", *base, *overrides]) != 0:
            raise SystemExit(f"eval failed for variant {name!r}")
        s = json.loads((out / "results.json").read_text())["summary"][0]
        rows.append((name, s))
    print(f"\n{'variant':<34} {'success':>8} {'95% CI':>15} {'plan s/step':>12}")
    for name, s in rows:
        lo, hi = s["ci95"]
        print(
            f"{name:<34} {100 * s['success_rate']:>7.1f}% {f'[{100 * lo:.1f}, {100 * hi:.1f}]':>15} "
            f"{s['time_per_step_s']:>12.2f}"
        )


if __name__ == "__main__":
    main()
